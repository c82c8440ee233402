"""The holiday calendar page: readable by everyone, signed in or not (legal periods affect everyone);
only city staff enter days and confirm a year's arrangement (policy `calendar.maintain`)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import DomainError, Forbidden
from accounts.permissions import can

from . import actions
from .calendar import HOLIDAY_NAMES, statutory_holidays, warning_years
from .forms import CalendarDayForm
from .models import CalendarDay, CalendarYear


def _years_shown(today):
    return [today.year, today.year + 1]


@require_http_methods(["GET", "HEAD", "POST"])
def calendar(request):
    """The statutory floor, the entered arrangement and which years are confirmed; city staff edit."""
    may_edit = can(request.user, "calendar.maintain", None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_edit:
            raise PermissionDenied
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.set_calendar_day(actor=request.user, date=data["date"], is_workday=data["is_workday"],
                                 name=data["name"])
        messages.success(request, _("Saved."))
        return redirect("trading:calendar")
    today = timezone.localdate()
    shown = _years_shown(today)
    confirmed = set(CalendarYear.objects.filter(year__in=shown).values_list("year", flat=True))
    years = [
        {
            "year": year,
            "confirmed": year in confirmed,
            "floor": [(day, HOLIDAY_NAMES[key]) for day, key in sorted(statutory_holidays(year).items())],
        }
        for year in shown
    ]
    context = {
        "form": form if may_edit else None,
        "may_edit": may_edit,
        "days": CalendarDay.objects.filter(date__gte=datetime.date(today.year, 1, 1)),
        "years": years,
        "confirmed_years": CalendarYear.objects.select_related("confirmed_by").order_by("-year")[:5],
        "missing": warning_years(today, confirmed),
    }
    return render(request, "trading/calendar.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def confirm_year(request):
    """City staff declare a year's arrangement complete (and published tenders are checked again)."""
    try:
        _entry, flags = actions.confirm_calendar_year(actor=request.user, year=request.POST.get("year"))
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Arrangement confirmed."))
        if flags:
            messages.warning(request, _("%(n)s published tenders now have periods that are too short: their staff "
                                        "see a warning.") % {"n": len(flags)})
    return redirect("trading:calendar")
