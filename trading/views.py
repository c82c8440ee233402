from django.db.models import Count
from django.shortcuts import render

from accounts.models import Region


def home(request):
    """The unified portal of 巴中市 and its districts and counties."""
    regions = Region.objects.annotate(organization_count=Count("organizations")).select_related("parent")
    city = next((r for r in regions if r.parent_id is None), None)
    counties = [r for r in regions if r.parent_id is not None]
    return render(request, "home.html", {"city": city, "counties": counties})
