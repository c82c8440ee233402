from django.db import connection

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


def last_seq():
    """The highest number written so far (visible to this transaction), hashed or not; 0 for an empty log.
    An action that wrote nothing leaves it unchanged, whatever the database."""
    return Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def newest_seq():
    """The newest entry a live tail may read up to: every entry up to it is committed (0 for an empty log).
    On PostgreSQL a number may be taken by a transaction still open while later ones commit (numbers come
    from a sequence, ledger.sequencer): a tail that read past that hole would never show the entry that
    fills it, so the tail stops before the first hole after the sequencer's head. SQLite has no holes."""
    if connection.vendor != "postgresql":
        return Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    with connection.cursor() as cursor:
        # One query over the head and the entries after it only (at most the sequencer's delay of them): the
        # first number whose successor is missing. The head is a scalar subquery, so its value bounds an index
        # range scan; an anti-join over "number + 1" instead read the whole log into a hash (0.25 s at 1M).
        cursor.execute(
            "SELECT MIN(w.seq) FROM (SELECT c.seq, LEAD(c.seq) OVER (ORDER BY c.seq) AS next FROM ("
            "SELECT COALESCE((SELECT seq FROM ledger_chainhead WHERE id = 1), 0) AS seq UNION ALL "
            "SELECT e.seq FROM ledger_entry e WHERE e.seq > COALESCE((SELECT seq FROM ledger_chainhead WHERE id = 1), 0)"
            ") c) w WHERE w.next IS NULL OR w.next <> w.seq + 1")
        return cursor.fetchone()[0]


def visible_between(user, after, upto, limit):
    """The user's visible entries with after < seq ≤ upto, oldest first, at most `limit` of them."""
    return list(visible_entries(user).filter(seq__gt=after, seq__lte=upto).order_by("seq")[:limit])
