from accounts.models import Region, Role
from accounts.permissions import scope_region_ids

from .models import Entry


def visible_region_codes(user):
    """None when the user reads the whole log (a city-wide regulator or staff member); else the
    set of region codes in their scope. Platform-wide entries (no region) need a city-wide scope."""
    ids = scope_region_ids(user, Role.REGULATOR) | scope_region_ids(user, Role.STAFF)
    regions = list(Region.objects.filter(pk__in=ids).values_list("code", "parent_id"))
    if any(parent is None for _code, parent in regions):
        return None
    return {code for code, _parent in regions}


def visible_entries(user):
    codes = visible_region_codes(user)
    return Entry.objects.all() if codes is None else Entry.objects.filter(region_code__in=codes)


def newest_seq():
    """The last entry's sequence number (0 for an empty log)."""
    return Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def visible_between(user, after, upto, limit):
    """The user's visible entries with after < seq ≤ upto, oldest first, at most `limit` of them."""
    return list(visible_entries(user).filter(seq__gt=after, seq__lte=upto).order_by("seq")[:limit])
