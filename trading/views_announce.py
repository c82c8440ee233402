"""The public announcement pages (公告): the list with its filters, one page per announcement, its PDF.

Anyone may read them, signed in or not: an announcement exists only once its content is public
(trading.announce), and shows only its frozen content."""

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.models import Region

from .announce.queries import public_announcements
from .models_announce import Announcement

PAGE_SIZE = 20


class AnnouncementFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("All types")), *Announcement.Kind.choices])
    region = forms.CharField(label=_("Region"), required=False, max_length=12)
    date_from = forms.DateField(label=_("Published from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Published until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))


def _filtered(form, regions):
    data = form.cleaned_data if form.is_valid() else {}
    code = data.get("region") or ""
    region, city_only = None, False
    if code == "city":
        region, city_only = next((r for r in regions if r.parent_id is None), None), True
    elif code:
        region = next((r for r in regions if r.code == code), None)
    return public_announcements(kind=data.get("kind"), region=region, city_only=city_only,
                                date_from=data.get("date_from"), date_to=data.get("date_to"))


@require_safe
def announcement_list(request):
    regions = list(Region.objects.select_related("parent"))
    form = AnnouncementFilterForm(request.GET or None)
    page = Paginator(_filtered(form, regions), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(request, "trading/announcements/list.html", {
        "form": form, "page": page, "regions": regions, "selected_region": request.GET.get("region", ""),
        "query": query,
    })


@require_safe
def announcement_detail(request, pk):
    announcement = get_object_or_404(Announcement.objects.select_related("tender", "region", "record"), pk=pk)
    return render(request, "trading/announcements/detail.html", {
        "announcement": announcement, "body": announcement.body,
    })


@require_safe
def announcement_pdf(request, pk):
    """The signed PDF, for anyone: what it states was made public when it was announced."""
    announcement = get_object_or_404(Announcement.objects.select_related("record"), pk=pk)
    record = announcement.record
    if record is None:
        raise Http404
    response = FileResponse(record.file.open("rb"), as_attachment=False, content_type="application/pdf",
                            filename=f"announcement-{announcement.number}.pdf")
    response["ETag"] = f'"{record.sha256}"'
    return response
