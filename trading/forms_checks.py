"""Every legal-rule error of the tender form at once. The action (trading/actions/tenders.py `_clean_terms`)
stops at the first rule a tender breaks; the form runs the same pure checks of trading/rules.py and
trading/evaluation_terms.py one by one beforehand, so the user sees all of them, each next to its field.
The action still checks everything again: this module only collects messages, it decides nothing."""

import datetime

from django.utils import timezone

from accounts.errors import DomainError

from . import evaluation_terms, rules

# The form's field of each action field a DomainError names.
ACTION_FIELDS = {"estimated_price_fen": "estimated_price", "bid_security_fen": "bid_security",
                 "max_bid_bytes": "max_bid_mb", "file": "document"}
SCHEDULE = ("documents_from", "documents_until", "bid_deadline")


def form_field(exc, term_fields):
    """The form field a DomainError belongs to ("criteria" for the rows; None: the whole form)."""
    field = exc.extra.get("field")
    if field == "evaluation_terms":
        return term_fields.get(exc.extra.get("term"))
    return ACTION_FIELDS.get(field, field)


def _run(errors, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        errors.append(exc)
        return None


def _schedule_errors(terms, category, now):
    """The documents window and the bid deadline. `check_schedule` stops at its first error: when that is
    on one of the two fields, it is asked again with the other field's side made to pass, so an error on
    each field shows at once (the checks on each side do not depend on the other side's)."""
    errors = []
    for field in SCHEDULE:
        _run(errors, rules.check_dates_in_range, now, **{field: terms.get(field)})
    if errors or not all(terms.get(f) for f in SCHEDULE):
        return errors  # out of range: no calendar arithmetic on it (it may overflow)
    start, until, deadline = (terms[f] for f in SCHEDULE)
    _run(errors, rules.check_schedule, start, until, deadline, category=category, now=now)
    if not errors:
        return errors
    field = errors[0].extra.get("field")
    if field == "documents_until":
        # The deadline's side alone: documents on offer until the deadline itself.
        probe = []
        _run(probe, rules.check_schedule, start, deadline, deadline, category=category, now=now)
        errors += [e for e in probe if e.extra.get("field") == "bid_deadline"]
    elif field == "bid_deadline":
        # The documents' side alone: a deadline far enough that the bidding period holds.
        later = max(until, now) + datetime.timedelta(days=3 * rules.MIN_BIDDING_DAYS)
        probe = []
        _run(probe, rules.check_schedule, start, until, later, category=category, now=now)
        errors += [e for e in probe if e.extra.get("field") == "documents_until"]
    return errors


def _terms_errors(terms, method, criteria):
    """Each evaluation term checked alone, so each one's error shows (check_terms stops at the first)."""
    errors = []
    for key, value in (terms or {}).items():
        if key == "price_rule" and criteria is None:
            continue  # the floor is bounded by the price criterion's points: unknown while the rows are wrong
        _run(errors, evaluation_terms.check_terms, {key: value}, method, criteria or [])
    return errors


def rule_errors(terms, category, criteria, now=None):
    """The DomainErrors of the rules `terms` break (the action's keyword arguments, those the form could
    read; a missing key is skipped). `criteria` are the checked rows, or None when they are wrong."""
    now = now or timezone.now()
    errors = []
    price, security = terms.get("estimated_price_fen"), terms.get("bid_security_fen")
    if price is not None and security is not None:
        _run(errors, rules.check_bid_security, price, security, category=category)
    method = terms.get("evaluation_method")
    if method and "evaluation_terms" in terms:
        errors += _terms_errors(terms["evaluation_terms"], method, criteria)
    errors += _schedule_errors(terms, category, now)
    return errors
