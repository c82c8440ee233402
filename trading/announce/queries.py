"""Reading announcements for the portal: every announcement is public from its publication on."""

from ..models_announce import Announcement


def public_announcements(*, kind=None, region=None, city_only=False, date_from=None, date_to=None):
    """Newest first. `region`: that region only when it is a county or `city_only`; the city means all.
    Dates are Beijing dates of publication (the site's time zone)."""
    qs = Announcement.objects.select_related("region", "tender")
    if kind:
        qs = qs.filter(kind=kind)
    if region is not None and (city_only or region.parent_id):
        qs = qs.filter(region=region)
    if date_from:
        qs = qs.filter(published_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(published_at__date__lte=date_to)
    return qs.defer("body").order_by("-published_at", "-id")


def tender_announcements(tender):
    """The tender's announcements in the order they were published."""
    return list(Announcement.objects.filter(tender=tender).defer("body").order_by("published_at", "id"))
