"""Who may list, read and produce signed records."""

from dataclasses import dataclass

from accounts.models import Role
from accounts.permissions import city_region, has_role, policy

from .models import Record
from .queries import supervised_bid_receipt_ids


@dataclass(frozen=True)
class ProduceRequest:
    kind: str
    region: object  # accounts.Region or None (platform-wide)


def _supervises(user, region):
    # A record without a region is platform-wide: only a city-wide scope covers it.
    region = region or city_region()
    return has_role(user, Role.REGULATOR, region) or has_role(user, Role.STAFF, region)


@policy("record.list", read_only=True)
def list_records(user, region):
    """Regulators and trading center staff list the records of their scope (region None: any scope)."""
    return has_role(user, Role.REGULATOR, region) or has_role(user, Role.STAFF, region)


@policy("record.view", read_only=True)
def view_record(user, record):
    """Supervisors of the record's region, the organization it is issued to, its further readers
    (the bidders of an opening record), and its signers."""
    if record.kind == Record.Kind.BID_RECEIPT:
        # Who has bid stays secret until the deadline (招标投标法 art. 22): the trading app decides.
        if Record.objects.filter(pk=record.pk, pk__in=supervised_bid_receipt_ids(user)).exists():
            return True
    elif _supervises(user, record.region):
        return True
    if user.organization_id is not None:
        if user.organization_id == record.organization_id:
            return True
        if record.readers.filter(pk=user.organization_id).exists():
            return True
    return record.signed_by_user(user.pk)


@policy("record.produce")
def produce_record(user, request):
    if has_role(user, Role.STAFF, request.region or city_region()):
        return True
    # The evaluation committee produces its own report: its members are the ones who sign it.
    return request.kind == "evaluation_report" and has_role(user, Role.EXPERT)
