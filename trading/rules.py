"""The legal rules on tender terms, each with its article (DESIGN §4). Pure checks: they raise
DomainError with a stable code and a message citing the law; they never write."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

from .calendar import LOCAL, Calendar, end_of_day, local_date

MIN_BIDDING_DAYS = 20  # 招标投标法 art. 24; 政府采购法 art. 35
MIN_DOCUMENT_DAYS = 5  # 实施条例 art. 16
AMENDMENT_NOTICE_DAYS = 15  # 招标投标法 art. 23; 实施条例 art. 21
OBJECTION_DAYS_BEFORE = 10  # 实施条例 art. 22
OBJECTION_ANSWER_DAYS = 3  # 实施条例 art. 22
SECURITY_PERCENT = 2  # 实施条例 art. 26


def _day(value):
    return date_format(value, "Y-m-d")


def check_bid_security(estimated_price_fen, bid_security_fen):
    if estimated_price_fen <= 0:
        raise DomainError(
            "invalid_price", _("The estimated price must be a positive amount."), field="estimated_price_fen"
        )
    if bid_security_fen < 0:
        raise DomainError("invalid_security", _("The bid security cannot be negative."), field="bid_security_fen")
    # 实施条例 art. 26: the bid security may not exceed 2 % of the estimated price.
    if bid_security_fen * 100 > estimated_price_fen * SECURITY_PERCENT:
        limit = estimated_price_fen * SECURITY_PERCENT // 100
        raise DomainError(
            "security_too_high",
            _(
                "The bid security may not exceed 2%% of the estimated price, at most %(limit)s yuan "
                "(Regulations on the Implementation of the Bidding Law, art. 26)."
            )
            % {"limit": f"{limit / 100:,.2f}"},
            field="bid_security_fen",
        )


def check_schedule(documents_from, documents_until, bid_deadline, *, now=None, calendar=None):
    """The documents window and the bid deadline, counted as the law counts periods."""
    now = now or timezone.now()
    calendar = calendar or Calendar()
    if bid_deadline <= now:
        raise DomainError("date_in_past", _("The bid deadline must be in the future."), field="bid_deadline")
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
    # 实施条例 art. 16: documents available for at least 5 days (the window ends at 24:00 of the last day).
    last = calendar.last_day(local_date(documents_from), MIN_DOCUMENT_DAYS)
    if documents_until < end_of_day(last):
        raise DomainError(
            "documents_window_too_short",
            _(
                "Tender documents must be available for at least 5 days, that is until the end of %(day)s "
                "(Regulations on the Implementation of the Bidding Law, art. 16)."
            )
            % {"day": _day(last)},
            field="documents_until",
        )
    # 招标投标法 art. 24 / 政府采购法 art. 35: at least 20 days from the day documents are first issued
    # to the day bids are due.
    last = calendar.last_day(local_date(documents_from), MIN_BIDDING_DAYS)
    if local_date(bid_deadline) < last:
        raise DomainError(
            "bidding_period_too_short",
            _(
                "At least 20 days must pass from the issue of the tender documents to the bid deadline: the "
                "earliest deadline is %(day)s (Bidding Law, art. 24; Government Procurement Law, art. 35)."
            )
            % {"day": _day(last)},
            field="bid_deadline",
        )


def check_opening_time(bid_deadline, opening_at):
    # 招标投标法 art. 34: the opening takes place at the very moment of the bid deadline.
    if opening_at is not None and opening_at != bid_deadline:
        raise DomainError(
            "opening_not_at_deadline",
            _("The opening must take place at the bid deadline (Bidding Law, art. 34)."),
            field="opening_at",
        )


def amended_deadline(issued_at, bid_deadline, calendar=None):
    """The deadline after an amendment that may affect bids (实施条例 art. 21): at least 15 days must
    remain; if fewer do, the deadline moves to the same time of day on the first day that gives 15."""
    calendar = calendar or Calendar()
    last = calendar.last_day(local_date(issued_at), AMENDMENT_NOTICE_DAYS)
    if local_date(bid_deadline) >= last:
        return bid_deadline
    local_deadline = bid_deadline.astimezone(LOCAL)
    return datetime.datetime.combine(last, local_deadline.timetz())


def check_objection_in_time(raised_at, bid_deadline):
    # 实施条例 art. 22: objections to the tender documents at least 10 days before the deadline.
    last_day = local_date(bid_deadline) - datetime.timedelta(days=OBJECTION_DAYS_BEFORE)
    if local_date(raised_at) > last_day:
        raise DomainError(
            "objection_too_late",
            _(
                "Objections to the tender documents must be raised at least 10 days before the bid deadline, "
                "that is by the end of %(day)s (Regulations on the Implementation of the Bidding Law, art. 22)."
            )
            % {"day": _day(last_day)},
        )


def objection_answer_due(raised_at, calendar=None):
    # 实施条例 art. 22: the tenderer answers within 3 days of receiving the objection.
    calendar = calendar or Calendar()
    return calendar.period_end(raised_at, OBJECTION_ANSWER_DAYS)


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
