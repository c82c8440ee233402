"""Calendar actions: city staff keep the State Council's yearly holiday arrangement on top of the
statutory floor (trading/calendar.py), and confirm a year once its arrangement is complete."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError
from accounts.permissions import check
from ledger import chain

from .. import rules
from ..calendar import Calendar, holiday_name, local_date
from ..models import CalendarDay, CalendarFlag, CalendarYear, Tender
from .tenders import _log

CONFIRMABLE_SINCE = 2008  # the holiday system of the 2007 revision of the 办法
PERIOD_DAYS = {  # the too-short codes of rules.check_schedule and the period each one counts
    "documents_window_too_short": rules.MIN_DOCUMENT_DAYS,
    "bidding_period_too_short": rules.MIN_BIDDING_DAYS,
}


def set_calendar_day(*, actor, date, is_workday, name=""):
    """Staff enter one day of the State Council's arrangement. This does not mark the year complete
    (confirm_calendar_year does); if the year is confirmed already, published tenders are checked again."""
    check(actor, "calendar.maintain", None)
    if is_workday and holiday_name(date):
        raise DomainError("statutory_holiday", _("A statutory holiday cannot be a make-up working day."), field="date")
    with transaction.atomic():
        CalendarDay.objects.update_or_create(date=date, defaults={"is_workday": is_workday, "name": name[:60]})
        chain.append(
            "calendar.day_set",
            actor=actor,
            role="staff",
            payload={"date": date.isoformat(), "workday": is_workday, "name": name[:60]},
        )
        if CalendarYear.objects.filter(year=date.year).exists():
            flag_short_tenders(actor, date.year)


def confirm_calendar_year(*, actor, year):
    """City staff declare the arrangement for `year` complete (logged); every published tender whose
    documents window or bidding period becomes too short under it is flagged to its staff."""
    check(actor, "calendar.maintain", None)
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = None
    today = timezone.localdate()
    if year is None or not CONFIRMABLE_SINCE <= year <= today.year + 2:
        raise DomainError(
            "invalid_year",
            _("Choose a year between %(first)s and %(last)s.") % {"first": CONFIRMABLE_SINCE, "last": today.year + 2},
            field="year",
        )
    with transaction.atomic():
        entry, created = CalendarYear.objects.get_or_create(
            year=year, defaults={"source": "staff", "confirmed_by": actor}
        )
        if not created:
            raise DomainError("already_confirmed", _("The arrangement for this year is already confirmed."))
        days = CalendarDay.objects.filter(date__year=year).count()
        chain.append("calendar.year_confirmed", actor=actor, role="staff", payload={"year": year, "days": days})
        return entry, flag_short_tenders(actor, year)


def flag_short_tenders(actor, year):
    """Flag each published tender, still open for bids, whose periods reach `year` and are too short
    under the calendar as it stands now (rules.check_schedule). Runs inside the caller's transaction."""
    now = timezone.now()
    calendar = Calendar()
    flags = []
    tenders = Tender.objects.filter(status=Tender.Status.PUBLISHED, bid_deadline__gt=now).select_related("region")
    for tender in tenders:
        start = local_date(tender.documents_from)
        reach = max(local_date(tender.bid_deadline), calendar.last_day(start, rules.MIN_BIDDING_DAYS))
        if not start.year <= year <= reach.year:
            continue
        try:
            rules.check_schedule(tender.documents_from, tender.documents_until, tender.bid_deadline,
                                 now=now, calendar=calendar, category=tender.category)
            continue
        except DomainError as error:
            code = error.code
        if code not in PERIOD_DAYS:
            continue
        earliest = calendar.last_day(start, PERIOD_DAYS[code])
        flag, created = CalendarFlag.objects.get_or_create(
            tender=tender, year=year, code=code, defaults={"earliest": earliest}
        )
        if created:
            _log("calendar.tender_flagged", actor, tender,
                 {"year": year, "code": code, "earliest": earliest.isoformat()}, role="staff")
            flags.append(flag)
    return flags


def missing_calendar_years(tender):
    """The years of the tender's periods whose arrangement is not confirmed: computed on the floor alone."""
    return Calendar().missing_years(local_date(tender.documents_from), local_date(tender.bid_deadline))


def calendar_flags(tender):
    return list(CalendarFlag.objects.filter(tender=tender))
