"""The trading centers' contacts per region, shown in the help centre (办事指南)."""

from django.db import transaction

from ledger import chain

from .errors import NotFound
from .models import Region, Role
from .permissions import check

CONTACT_FIELDS = ("contact_name", "contact_address", "contact_phone", "contact_hours")


def set_region_contacts(*, actor, region_code, **contacts):
    """Staff of a region (or of the city above it) publish its trading center's contacts; logged."""
    unknown = set(contacts) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown contact fields: {sorted(unknown)}")
    with transaction.atomic():
        try:
            region = Region.objects.select_for_update().get(code=region_code)
        except Region.DoesNotExist:
            raise NotFound() from None
        check(actor, "region.edit_contacts", region)
        changed = {k: v.strip() for k, v in contacts.items() if getattr(region, k) != v.strip()}
        if not changed:
            return region
        for key, value in changed.items():
            setattr(region, key, value)
        region.save(update_fields=list(changed))
        chain.append("region.contacts_changed", actor=actor, role=Role.STAFF, region=region,
                     payload={"region": region.code, **changed})
    return region
