from django.db.models import Q

from accounts.models import Role
from accounts.permissions import city_region, scope_region_ids

from .models import Record

_bid_receipts = None


def supervise_bid_receipts_with(fn):
    """The trading app names the bid receipts a supervisor may read: `fn(user)` returns a queryset of
    their record ids (one `values()` column). A receipt record carries no region or tender of its own,
    so that neither it nor its trading log entry tells anyone who has bid before the deadline
    (招标投标法 art. 22); only the trading app knows the tender behind it and its deadline."""
    global _bid_receipts  # noqa: PLW0603 - registered once, at start-up (TradingConfig.ready)
    _bid_receipts = fn


def supervised_bid_receipt_ids(user):
    return _bid_receipts(user) if _bid_receipts is not None else Record.objects.none().values("pk")


def visible_records(user):
    """The records a regulator or staff member supervises: everything for a city-wide scope,
    else the records of the counties in scope (platform-wide records need a city-wide scope);
    bid receipts only as the trading app allows (supervise_bid_receipts_with)."""
    ids = scope_region_ids(user, Role.REGULATOR) | scope_region_ids(user, Role.STAFF)
    scoped = Q() if city_region().pk in ids else Q(region_id__in=ids)
    receipt = Q(kind=Record.Kind.BID_RECEIPT)
    return Record.objects.filter((scoped & ~receipt) | (receipt & Q(pk__in=supervised_bid_receipt_ids(user))))
