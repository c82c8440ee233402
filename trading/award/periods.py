"""The legal periods after the evaluation, each with its article (docs/award.md). Pure: they read the
calendar and raise DomainError, never write. Days are counted as trading.rules counts them: a period
begins the day after the instant that starts it (民法典 art. 201), its last day ends at 24:00 and moves
past rest days (art. 203), midnight read by `rules.day_of`.

Bidding law (招标投标法, 实施条例) for every tender; a procurement tender's own periods where
政府采购法 sets them (质疑 7 working days, answer 7 working days, 投诉 15 working days)."""

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

from ..calendar import Calendar, end_of_day
from ..rules import add_working_days, day_of, is_procurement

PUBLISH_WITHIN_DAYS = 3  # 实施条例 art. 54: publicize within 3 days of receiving the report
MIN_PUBLICITY_DAYS = 3  # 实施条例 art. 54: for at least 3 days
OBJECTION_ANSWER_DAYS = 3  # 实施条例 art. 54: answered within 3 days
PROCUREMENT_CHALLENGE_WORKING_DAYS = 7  # 政府采购法 art. 52
PROCUREMENT_ANSWER_WORKING_DAYS = 7  # 政府采购法 art. 53
COMPLAINT_DAYS = 10  # 实施条例 art. 60
PROCUREMENT_COMPLAINT_WORKING_DAYS = 15  # 政府采购法 art. 55
DECISION_WORKING_DAYS = 30  # 实施条例 art. 61; 政府采购法 art. 56
CONTRACT_DAYS = 30  # 招标投标法 art. 46; 政府采购法 art. 46
REPORT_DAYS = 15  # 招标投标法 art. 47
PROCUREMENT_FILING_WORKING_DAYS = 7  # 政府采购法 art. 47 (copy of the contract, from its signature)
WARN_DAYS = 1  # warn the tenderer this many days before a limit


def _day(value):
    return date_format(value, "Y-m-d")


def publish_last_day(report_received_at, calendar=None):
    """The last day to publish the candidates: 3 days from receiving the report (实施条例 art. 54)."""
    return (calendar or Calendar()).last_day(day_of(report_received_at), PUBLISH_WITHIN_DAYS)


def publish_due(report_received_at, calendar=None):
    return end_of_day(publish_last_day(report_received_at, calendar))


def min_publicity_end(starts, calendar=None):
    """The earliest lawful end of a publicity that starts at `starts`: 24:00 of its third day."""
    return end_of_day((calendar or Calendar()).last_day(day_of(starts), MIN_PUBLICITY_DAYS))


def check_publicity_period(starts, ends, calendar=None):
    earliest = min_publicity_end(starts, calendar)
    if ends >= earliest:
        return
    # 实施条例 art. 54: the candidates are publicized for at least 3 days.
    raise DomainError(
        "publicity_too_short",
        _("The candidates must be publicized for at least 3 days, that is until the end of %(day)s "
          "(Regulations on the Implementation of the Bidding Law, art. 54).")
        % {"day": _day(day_of(earliest))},
        field="ends",
    )


def objection_last_day(publicity, *, category, calendar=None):
    """The last day an objection may be raised: the publicity's last day (实施条例 art. 54), or for a
    procurement tender 7 working days from the announcement (政府采购法 art. 52)."""
    if is_procurement(category):
        return add_working_days(day_of(publicity.starts), PROCUREMENT_CHALLENGE_WORKING_DAYS, calendar)
    return day_of(publicity.ends)


def check_objection_in_time(now, publicity, *, category, calendar=None):
    if now < publicity.starts:
        raise DomainError("publicity_not_started", _("The publicity has not started yet."))
    if is_procurement(category):
        last = objection_last_day(publicity, category=category, calendar=calendar)
        if day_of(now) <= last:
            return
        # 政府采购法 art. 52: 质疑 within 7 working days of knowing.
        message = _("A challenge (质疑) to the result must be raised within 7 working days of its announcement, "
                    "that is by the end of %(day)s (Government Procurement Law, art. 52).")
        raise DomainError("objection_too_late", message % {"day": _day(last)})
    if now <= publicity.ends:  # the instant 24:00 of the last day still belongs to it (rules.day_of)
        return
    # 实施条例 art. 54: objections to the candidates are raised during the publicity.
    raise DomainError(
        "objection_too_late",
        _("Objections to the candidates must be raised during the publicity, which ended at the end of "
          "%(day)s (Regulations on the Implementation of the Bidding Law, art. 54).")
        % {"day": _day(day_of(publicity.ends))},
    )


def objection_answer_due(raised_at, *, category, calendar=None):
    calendar = calendar or Calendar()
    if is_procurement(category):
        # 政府采购法 art. 53: answered within 7 working days.
        return end_of_day(add_working_days(day_of(raised_at), PROCUREMENT_ANSWER_WORKING_DAYS, calendar))
    # 实施条例 art. 54: answered within 3 days of receiving the objection.
    return end_of_day(calendar.last_day(day_of(raised_at), OBJECTION_ANSWER_DAYS))


def complaint_known_at(objection):
    """When the objector knew the outcome: the answer, or, unanswered, the end of the answer period."""
    return objection.answered_at or objection.answer_due


def complaint_last_day(objection, *, category, calendar=None):
    known = day_of(complaint_known_at(objection))
    if is_procurement(category):
        return add_working_days(known, PROCUREMENT_COMPLAINT_WORKING_DAYS, calendar)
    return (calendar or Calendar()).last_day(known, COMPLAINT_DAYS)


def check_complaint_in_time(now, objection, *, category, calendar=None):
    """实施条例 art. 60: a complaint within 10 days of knowing, after the objection (art. 60 ¶2: an
    objection to the candidates comes first); 政府采购法 art. 55: 15 working days."""
    if objection.answered_at is None and now < objection.answer_due:
        raise DomainError(
            "objection_pending",
            _("A complaint can be filed once the objection is answered or its answer is overdue "
              "(Regulations on the Implementation of the Bidding Law, art. 60)."),
        )
    last = complaint_last_day(objection, category=category, calendar=calendar)
    if day_of(now) <= last:
        return
    if is_procurement(category):
        message = _("A complaint must be filed within 15 working days of the answer to the challenge, that is by "
                    "the end of %(day)s (Government Procurement Law, art. 55).")
    else:
        message = _("A complaint must be filed within 10 days of knowing, that is by the end of %(day)s "
                    "(Regulations on the Implementation of the Bidding Law, art. 60).")
    raise DomainError("complaint_too_late", message % {"day": _day(last)})


def decision_due(filed_at, calendar=None):
    # 实施条例 art. 61; 政府采购法 art. 56: decided within 30 working days of accepting the complaint.
    return end_of_day(add_working_days(day_of(filed_at), DECISION_WORKING_DAYS, calendar))


def contract_due(confirmed_at, calendar=None):
    # 招标投标法 art. 46; 政府采购法 art. 46: the contract within 30 days of the award notice.
    return end_of_day((calendar or Calendar()).last_day(day_of(confirmed_at), CONTRACT_DAYS))


def report_due(confirmed_at, *, category, calendar=None):
    """招标投标法 art. 47: the written report within 15 days of the award. Procurement files the
    contract copy within 7 working days of its signature instead (政府采购法 art. 47): None here."""
    if is_procurement(category):
        return None
    return end_of_day((calendar or Calendar()).last_day(day_of(confirmed_at), REPORT_DAYS))


def filing_due(signed_at, calendar=None):
    return end_of_day(add_working_days(day_of(signed_at), PROCUREMENT_FILING_WORKING_DAYS, calendar))
