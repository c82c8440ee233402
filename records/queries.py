from accounts.models import Role
from accounts.permissions import city_region, scope_region_ids

from .models import Record


def visible_records(user):
    """The records a regulator or staff member supervises: everything for a city-wide scope,
    else the records of the counties in scope (platform-wide records need a city-wide scope)."""
    ids = scope_region_ids(user, Role.REGULATOR) | scope_region_ids(user, Role.STAFF)
    if city_region().pk in ids:
        return Record.objects.all()
    return Record.objects.filter(region_id__in=ids)
