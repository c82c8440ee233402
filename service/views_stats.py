"""Statistics pages (docs/statistics.md): the public view, the internal view of staff and regulators (their
regions), the trading hall's screen, their data as JSON for the charts and as Excel. Read-only."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import can

from . import stats, stats_export
from .queries import supervised_region_ids

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _internal_data(request):
    # Staff and regulators, each for the regions of their scope (a county sees its county, the city all).
    if not can(request.user, "service.view_overdue", None):
        raise PermissionDenied
    return stats.statistics(supervised_region_ids(request.user), internal=True)


def _json(data):
    return JsonResponse({**data, "tables": stats_export.tables(data)})


def _page(request, data, template="service/stats.html", **extra):
    return render(request, template, {"data": data, "tables": stats_export.tables(data), **extra})


def _xlsx(data, name):
    response = HttpResponse(stats_export.workbook_bytes(data), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
    return response


@require_GET
def public(request):
    return _page(request, stats.statistics(), data_url="stats:data", export_url="stats:export")


@require_GET
def data(request):
    return _json(stats.statistics())


@require_GET
def export(request):
    return _xlsx(stats.statistics(), "statistics")


@require_GET
def screen(request):
    """The trading hall's display (数据大屏): the public numbers, full screen, refreshed over ws/statistics/."""
    return _page(request, stats.statistics(), template="service/stats_screen.html", data_url="stats:data")


@login_required
@require_GET
def internal(request):
    return _page(request, _internal_data(request), data_url="stats:internal_data", export_url="stats:internal_export")


@login_required
@require_GET
def internal_data(request):
    return _json(_internal_data(request))


@login_required
@require_GET
def internal_export(request):
    return _xlsx(_internal_data(request), "statistics-internal")
