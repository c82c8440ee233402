"""The legal rules on tender terms, each with its article (docs/architecture.md §4). Pure checks: they raise
DomainError with a stable code and a message citing the law; they never write.

Which law: a government-procurement tender (category "procurement") follows 政府采购法 and its 实施条例;
every other kind follows 招标投标法 and its 实施条例. Each rule takes the tender's `category` and cites
the law of that kind only (docs/legal-periods.md lists every period with its article).

Midnight, one reading for every period (民法典 art. 203: the last day of a period ends at 24:00). The
instant 00:00:00 of day D *is* 24:00 of day D-1, so it belongs to D-1: `day_of` gives the calendar day
(Asia/Shanghai) an instant belongs to under that reading, and every period reads its instants through it:
- a period that begins at an instant begins on the day after `day_of(instant)` (民法典 art. 201);
- a deadline or other instant that must fall on or after a period's last day is read as `day_of(instant)`:
  a bid deadline at 00:00 of day 20 is 24:00 of day 19, one day short;
- a window that must *last* to the end of its last day (documents on offer) must reach 24:00 of that day,
  which is the instant 00:00 of the next day.
So 00:00 of D and 23:59:59 of D-1 are read as the same day everywhere (documents window, bid deadline,
amendment, objection).

Every date is first bounded to TENDER_MAX_HORIZON_DAYS around now (`check_dates_in_range`), before
any calendar arithmetic: far-future dates would otherwise overflow it.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

from .calendar import LOCAL, Calendar, end_of_day, local_date

MIN_BIDDING_DAYS = 20  # 招标投标法 art. 24; 政府采购法 art. 35
MIN_DOCUMENT_DAYS = 5  # 实施条例 art. 16 (calendar days)
MIN_DOCUMENT_WORKING_DAYS = 5  # 政府采购法实施条例 art. 31 (working days)
AMENDMENT_NOTICE_DAYS = 15  # 招标投标法 art. 23; 实施条例 art. 21; 政府采购法实施条例 art. 31
OBJECTION_DAYS_BEFORE = 10  # 实施条例 art. 22
OBJECTION_ANSWER_DAYS = 3  # 实施条例 art. 22
SECURITY_PERCENT = 2  # 实施条例 art. 26 (of the estimated price); 政府采购法实施条例 art. 33 (of the budget)


def _day(value):
    return date_format(value, "Y-m-d")


def day_of(instant):
    """The calendar day an instant belongs to (民法典 art. 203): its local date, except that 00:00:00
    exactly is 24:00 of the day before and belongs to that day."""
    local = instant.astimezone(LOCAL)
    if local.time() == datetime.time(0):
        return local.date() - datetime.timedelta(days=1)
    return local.date()


def check_dates_in_range(now=None, *, past=True, **moments):
    """Each of `moments` (field name -> aware datetime) within TENDER_MAX_HORIZON_DAYS of now, either way
    (with past=False, only the future side is checked). Run before any calendar arithmetic: a date near
    the year 9999 (or 1) overflows it."""
    now = now or timezone.now()
    horizon = datetime.timedelta(days=settings.TENDER_MAX_HORIZON_DAYS)
    for field, value in moments.items():
        if value is None:
            continue
        try:
            inside = (not past or now - horizon <= value) and value <= now + horizon
        except (OverflowError, TypeError):
            inside = False
        if not inside:
            raise DomainError(
                "date_out_of_range",
                _("Dates must lie between %(first)s and %(last)s (at most %(days)s days from today).")
                % {"first": _day(local_date(now - horizon)), "last": _day(local_date(now + horizon)),
                   "days": horizon.days},
                field=field,
            )


def check_bid_security(estimated_price_fen, bid_security_fen, *, category="works"):
    """The bid security at most 2 %: of the estimated price (实施条例 art. 26), or for a procurement
    tender of the budget (政府采购法实施条例 art. 33). `estimated_price_fen` holds the budget then."""
    procurement = is_procurement(category)
    if estimated_price_fen <= 0:
        message = (_("The budget must be a positive amount.") if procurement
                   else _("The estimated price must be a positive amount."))
        raise DomainError("invalid_price", message, field="estimated_price_fen")
    if bid_security_fen < 0:
        raise DomainError("invalid_security", _("The bid security cannot be negative."), field="bid_security_fen")
    if bid_security_fen * 100 <= estimated_price_fen * SECURITY_PERCENT:
        return
    limit = {"limit": f"{estimated_price_fen * SECURITY_PERCENT // 100 / 100:,.2f}"}
    if procurement:
        # 政府采购法实施条例 art. 33: at most 2 % of the procurement budget.
        message = _(
            "The bid security may not exceed 2%% of the procurement budget, at most %(limit)s yuan "
            "(Regulations on the Implementation of the Government Procurement Law, art. 33)."
        )
    else:
        # 实施条例 art. 26: at most 2 % of the estimated price.
        message = _(
            "The bid security may not exceed 2%% of the estimated price, at most %(limit)s yuan "
            "(Regulations on the Implementation of the Bidding Law, art. 26)."
        )
    raise DomainError("security_too_high", message % limit, field="bid_security_fen")


def _documents_last_day(start_day, category, calendar):
    if is_procurement(category):
        # 政府采购法实施条例 art. 31: documents on offer at least 5 working days.
        return add_working_days(start_day, MIN_DOCUMENT_WORKING_DAYS, calendar), _(
            "Procurement documents must be available for at least 5 working days, that is until the end of "
            "%(day)s (Regulations on the Implementation of the Government Procurement Law, art. 31)."
        )
    # 实施条例 art. 16: documents on sale at least 5 days.
    return calendar.last_day(start_day, MIN_DOCUMENT_DAYS), _(
        "Tender documents must be available for at least 5 days, that is until the end of %(day)s "
        "(Regulations on the Implementation of the Bidding Law, art. 16)."
    )


def check_schedule(documents_from, documents_until, bid_deadline, *, category="works", now=None, calendar=None):
    """The documents window and the bid deadline, counted as the law of the tender's kind counts them,
    midnight read by `day_of`. The dates are bounded first (`check_dates_in_range`)."""
    now = now or timezone.now()
    if bid_deadline <= now:
        raise DomainError(
            "date_in_past",
            _(
                "The bid deadline must be in the future. Set a later deadline while the tender is a draft (staff "
                "return a submitted tender for that); once it is published, only an amendment can move it."
            ),
            field="bid_deadline",
        )
    check_dates_in_range(
        now, documents_from=documents_from, documents_until=documents_until, bid_deadline=bid_deadline
    )
    calendar = calendar or Calendar()
    if documents_until <= documents_from:
        raise DomainError(
            "documents_window_reversed",
            _("Documents must become available before they stop being available."),
            field="documents_until",
        )
    if documents_until > bid_deadline:
        raise DomainError(
            "documents_after_deadline",
            _("Documents cannot stay on sale after the bid deadline."),
            field="documents_until",
        )
    start = day_of(documents_from)
    # The window lasts to 24:00 of its last day (民法典 art. 203), the instant 00:00 of the next day.
    last, message = _documents_last_day(start, category, calendar)
    if documents_until < end_of_day(last):
        raise DomainError("documents_window_too_short", message % {"day": _day(last)}, field="documents_until")
    # At least 20 days from the day documents are first issued to the day bids are due.
    last = calendar.last_day(start, MIN_BIDDING_DAYS)
    if day_of(bid_deadline) < last:
        if is_procurement(category):
            # 政府采购法 art. 35 (goods and services procured by tender).
            message = _(
                "At least 20 days must pass from the issue of the procurement documents to the bid deadline: "
                "the earliest deadline is %(day)s (Government Procurement Law, art. 35)."
            )
        else:
            # 招标投标法 art. 24.
            message = _(
                "At least 20 days must pass from the issue of the tender documents to the bid deadline: the "
                "earliest deadline is %(day)s (Bidding Law, art. 24)."
            )
        raise DomainError("bidding_period_too_short", message % {"day": _day(last)}, field="bid_deadline")


def check_opening_time(bid_deadline, opening_at, *, category="works"):
    """The opening takes place at the very moment of the bid deadline: 招标投标法 art. 34; for a
    procurement tender 政府采购货物和服务招标投标管理办法 (财政部令第87号) art. 39."""
    if opening_at is None or opening_at == bid_deadline:
        return
    if is_procurement(category):
        message = _(
            "The opening must take place at the bid deadline (Measures for the Administration of Bidding for "
            "Government Procurement of Goods and Services, art. 39)."
        )
    else:
        message = _("The opening must take place at the bid deadline (Bidding Law, art. 34).")
    raise DomainError("opening_not_at_deadline", message, field="opening_at")


def amendment_article(category="works"):
    """The article that sets the 15 days' notice of an amendment that may affect bids, as cited to users."""
    if is_procurement(category):
        return _("Regulations on the Implementation of the Government Procurement Law, art. 31")
    return _("Bidding Law, art. 23; Regulations on the Implementation of the Bidding Law, art. 21")


def amended_deadline(issued_at, bid_deadline, calendar=None, *, category="works"):
    """The deadline after an amendment that may affect bids: at least 15 days must remain (实施条例
    art. 21; for procurement 政府采购法实施条例 art. 31, the same 15 days). Counted from the day after
    `day_of(issued_at)`; the deadline is read by `day_of`. If fewer remain, the deadline moves to the same
    time of day on the first day that gives 15 (a deadline at 00:00 moves to 24:00 of that day)."""
    del category  # the same count under both laws; kept so every caller states the tender's kind
    calendar = calendar or Calendar()
    last = calendar.last_day(day_of(issued_at), AMENDMENT_NOTICE_DAYS)
    if day_of(bid_deadline) >= last:
        return bid_deadline
    moved = datetime.datetime.combine(last, bid_deadline.astimezone(LOCAL).timetz())
    return moved if day_of(moved) >= last else end_of_day(last)


# --- objections to the tender documents (owned by the objections work; see docs/objections.md) -------
# Bidding-law tenders: 实施条例 art. 22 (raise ≥ 10 days before the deadline, answer within 3 days).
# Procurement tenders (category "procurement"): 政府采购法 art. 52 (质疑 within 7 working days of
# knowing) and art. 53 (answer within 7 working days). The day a supplier "knew" of the documents is
# taken as the later of the documents' availability start and the publication (objection_known_from):
# the first day anyone could have the documents (政府采购法实施条例 art. 53 (1): 收到采购文件之日).
PROCUREMENT_OBJECTION_WORKING_DAYS = 7  # 政府采购法 art. 52
PROCUREMENT_ANSWER_WORKING_DAYS = 7  # 政府采购法 art. 53


def is_procurement(category):
    return category == "procurement"


def add_working_days(start_day, days, calendar=None):
    """The last day of a period of `days` working days beginning on `start_day`: the start day is not
    counted (民法典 art. 201) and every rest day of the calendar is skipped."""
    calendar = calendar or Calendar()
    day, left = start_day, days
    while left > 0:
        day += datetime.timedelta(days=1)
        if not calendar.is_rest_day(day):
            left -= 1
    return day


def objection_known_from(documents_from, published_at=None):
    """When a supplier is taken to know the procurement documents: availability start or publication,
    whichever is later (the documents cannot be had before either)."""
    return max(documents_from, published_at) if published_at else documents_from


def objection_last_day(bid_deadline, *, category="works", known_from=None, calendar=None):
    """The last local day on which an objection to the documents may be raised."""
    if is_procurement(category):
        return add_working_days(day_of(known_from), PROCUREMENT_OBJECTION_WORKING_DAYS, calendar)
    return day_of(bid_deadline) - datetime.timedelta(days=OBJECTION_DAYS_BEFORE)


def check_objection_in_time(raised_at, bid_deadline, *, category="works", known_from=None, calendar=None):
    if raised_at >= bid_deadline:
        raise DomainError("deadline_passed", _("The bid deadline has passed."))
    last_day = objection_last_day(bid_deadline, category=category, known_from=known_from, calendar=calendar)
    if day_of(raised_at) <= last_day:  # the one midnight reading (docs/legal-periods.md)
        return
    if is_procurement(category):
        # 政府采购法 art. 52: 质疑 within 7 working days of knowing.
        message = _(
            "A challenge (质疑) to the procurement documents must be raised within 7 working days of when they "
            "could be known, that is by the end of %(day)s (Government Procurement Law, art. 52)."
        )
    else:
        # 实施条例 art. 22: objections to the tender documents at least 10 days before the deadline.
        message = _(
            "Objections to the tender documents must be raised at least 10 days before the bid deadline, "
            "that is by the end of %(day)s (Regulations on the Implementation of the Bidding Law, art. 22)."
        )
    raise DomainError("objection_too_late", message % {"day": _day(last_day)})


def objection_answer_due(raised_at, calendar=None, *, category="works"):
    calendar = calendar or Calendar()
    if is_procurement(category):
        # 政府采购法 art. 53: the purchaser answers within 7 working days of receiving the 质疑.
        return end_of_day(add_working_days(day_of(raised_at), PROCUREMENT_ANSWER_WORKING_DAYS, calendar))
    # 实施条例 art. 22: the tenderer answers within 3 days of receiving the objection.
    return end_of_day(calendar.last_day(day_of(raised_at), OBJECTION_ANSWER_DAYS))


def suspension_reason(category):
    """Why a tender with an unanswered objection to its documents is suspended, citing its law.
    Procurement: the platform applies the same suspension, since the answer may amend the documents and
    move the deadline (政府采购法 art. 53; 政府采购法实施条例 art. 31)."""
    if is_procurement(category):
        return _(
            "A challenge (质疑) to the procurement documents awaits the purchaser's answer: bids cannot be "
            "finalized and the deadline cannot pass into the opening until it is answered (Government "
            "Procurement Law, art. 53; Regulations on the Implementation of the Government Procurement Law, "
            "art. 31)."
        )
    return _(
        "An objection to the tender documents awaits the tenderer's answer: the procedure is "
        "paused until it is answered (Regulations, art. 22)."
    )


def tender_suspended(category):
    """The refusal while the tender is suspended (finalizing a bid, starting the opening)."""
    return DomainError("tender_suspended", suspension_reason(category), http_status=409)


def resumed_deadline(answered_at, bid_deadline, *, affects_bids, calendar=None, category="works"):
    """The deadline after an objection's answer. An answer that changes the documents in a way that may
    affect bids moves the deadline as any such amendment does (实施条例 art. 21 / 政府采购法实施条例
    art. 31: ≥ 15 days). An answer given when the deadline has already passed (the tender was suspended
    across it) must set a new one: the suspended activities resume only with a new deadline notified to
    everyone, and a change of the deadline is a change of the documents, so art. 21's 15 days apply."""
    if affects_bids or answered_at >= bid_deadline:
        return amended_deadline(answered_at, bid_deadline, calendar, category=category)
    return bid_deadline


BID_LETTER_TYPES = {"money", "integer", "text"}
STANDARD_BID_LETTER_FIELDS = [
    {"key": "price", "label": "投标报价(元)", "type": "money", "required": True},
    {"key": "duration_days", "label": "工期(日历天)", "type": "integer", "required": True},
    {"key": "quality", "label": "质量标准", "type": "text", "required": True},
    {"key": "validity_days", "label": "投标有效期(日)", "type": "integer", "required": True},
    {"key": "project_manager", "label": "项目负责人", "type": "text", "required": False},
]


def check_bid_letter_fields(fields):
    """The fields every bid letter must fill in: a list of {key, label, type, required}; a price is required."""
    if not isinstance(fields, list) or not fields or len(fields) > 30:
        raise DomainError(
            "invalid_bid_letter_fields", _("The bid letter needs 1 to 30 fields."), field="bid_letter_fields"
        )
    keys = set()
    for item in fields:
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("key"), str)
            and item["key"].isidentifier()
            and len(item["key"]) <= 40
            and isinstance(item.get("label"), str)
            and 0 < len(item["label"]) <= 60
            and item.get("type") in BID_LETTER_TYPES
            and isinstance(item.get("required", True), bool)
        )
        if not ok or item["key"] in keys:
            raise DomainError(
                "invalid_bid_letter_fields",
                _("Each bid letter field needs a unique key, a label and a type (money, integer or text)."),
                field="bid_letter_fields",
            )
        keys.add(item["key"])
    if not any(f["key"] == "price" and f["type"] == "money" for f in fields):
        raise DomainError(
            "invalid_bid_letter_fields", _("The bid letter must ask for the bid price."), field="bid_letter_fields"
        )
    return [
        {"key": f["key"], "label": f["label"], "type": f["type"], "required": f.get("required", True)} for f in fields
    ]


CRITERION_KINDS = {"price", "technical", "commercial"}


def check_criteria(method, criteria):
    """综合评估法 needs scoring criteria whose weights add up to 100 points, one of them the price;
    经评审的最低投标价法 ranks by price and takes no weights."""
    if method == "lowest_price":
        if criteria:
            raise DomainError(
                "invalid_criteria", _("The lowest evaluated price method takes no scoring criteria."), field="criteria"
            )
        return []
    if method != "comprehensive":
        raise DomainError("invalid_method", _("Unknown evaluation method."), field="evaluation_method")
    if not isinstance(criteria, list) or not 1 < len(criteria) <= 40:
        raise DomainError("invalid_criteria", _("The comprehensive method needs 2 to 40 criteria."), field="criteria")
    total, clean = 0, []
    for item in criteria:
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and 0 < len(item["name"]) <= 60
            and isinstance(item.get("weight"), int)
            and not isinstance(item["weight"], bool)
            and 0 < item["weight"] <= 100
            and item.get("kind") in CRITERION_KINDS
        )
        if not ok:
            raise DomainError(
                "invalid_criteria",
                _("Each criterion needs a name, a whole number of points and a kind."),
                field="criteria",
            )
        total += item["weight"]
        clean.append({"name": item["name"], "weight": item["weight"], "kind": item["kind"]})
    if total != 100:
        raise DomainError(
            "invalid_criteria",
            _("The criteria weights must add up to 100 points (now %(total)s).") % {"total": total},
            field="criteria",
        )
    if sum(1 for c in clean if c["kind"] == "price") != 1:
        raise DomainError("invalid_criteria", _("Exactly one criterion must be the price."), field="criteria")
    return clean
