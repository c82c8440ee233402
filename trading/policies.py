"""Who may do what to projects and tenders (registered in accounts.permissions)."""

from django.utils import timezone

from accounts.models import Role
from accounts.permissions import can, has_role, policy, scope_region_ids
from records import queries as records_queries

from .models import Tender

OWNER_ROLES = (Role.TENDERER, Role.AGENCY)
EDITABLE = {Tender.Status.DRAFT, Tender.Status.RETURNED}


def _is_owner_member(user, tender):
    return user.organization_id is not None and user.organization_id == tender.project.owner_id


def _acts_as_owner(user, region):
    return any(has_role(user, role, region) for role in OWNER_ROLES)


@policy("project.create")
def create_project(user, region):
    return _acts_as_owner(user, region)


@policy("tender.edit")
def edit_tender(user, tender):
    return tender.status in EDITABLE and _is_owner_member(user, tender) and _acts_as_owner(user, tender.region)


@policy("tender.amend")
def amend_tender(user, tender):
    return (
        tender.status == Tender.Status.PUBLISHED
        and _is_owner_member(user, tender)
        and _acts_as_owner(user, tender.region)
    )


@policy("tender.answer_objection")
def answer_objection(user, tender):
    return _is_owner_member(user, tender) and _acts_as_owner(user, tender.region)


@policy("tender.review")
def review_tender(user, tender):
    return has_role(user, Role.STAFF, tender.region)


@policy("tender.review_queue", read_only=True)
def review_queue(user, region):
    return has_role(user, Role.STAFF, region) or has_role(user, Role.REGULATOR, region)


@policy("tender.view_unpublished", read_only=True)
def view_unpublished(user, tender):
    return (
        _is_owner_member(user, tender)
        or has_role(user, Role.STAFF, tender.region)
        or has_role(user, Role.REGULATOR, tender.region)
    )


@policy("tender.object")
def raise_objection(user, tender):
    return has_role(user, Role.BIDDER, tender.region) and user.organization_id is not None


@policy("calendar.maintain")
def maintain_calendar(user, _obj):
    from accounts.models import Region

    return has_role(user, Role.STAFF, Region.objects.get(parent__isnull=True))


@policy("bid.submit")
def submit_bid(user, tender):
    return has_role(user, Role.BIDDER, tender.region) and user.organization_id is not None


@policy("bid.manage")
def manage_bid(user, bid):
    """Only the bidder's own organization sees and handles its bids and receipts."""
    return user.organization_id is not None and user.organization_id == bid.organization_id and has_role(
        user, Role.BIDDER)


@policy("bid.count", read_only=True)
def count_bids(user, tender):
    """From the deadline on, staff and regulators see how many bids are in and when each arrived, never
    their contents. Before it, nobody learns who or how many have bid (招标投标法 art. 22)."""
    return bidding_closed(tender) and (
        has_role(user, Role.STAFF, tender.region) or has_role(user, Role.REGULATOR, tender.region))


def bidding_closed(tender, now=None):
    return (now or timezone.now()) >= tender.bid_deadline


def supervised_bid_receipts(user):
    """Receipt records of bids a supervisor may read: those of tenders in their scope whose deadline has
    passed. A receipt record names no region or tender itself (trading.actions.receipt_pdf)."""
    from .models import Bid

    ids = scope_region_ids(user, Role.STAFF) | scope_region_ids(user, Role.REGULATOR)
    return Bid.objects.filter(tender__region_id__in=ids, tender__bid_deadline__lte=timezone.now(),
                              receipt_record__isnull=False).values("receipt_record_id")


records_queries.supervise_bid_receipts_with(supervised_bid_receipts)


@policy("opening.attend", read_only=True)
def attend_opening(user, tender):
    """The opening hall: the host (staff of the region), supervisors (regulators of the region), the
    tender's key custodians, and bidders that submitted a bid to it."""
    if has_role(user, Role.STAFF, tender.region) or has_role(user, Role.REGULATOR, tender.region):
        return True
    if tender.custodians.filter(user_id=user.pk).exists():
        return True
    return user.organization_id is not None and tender.bids.filter(organization_id=user.organization_id).exists()


@policy("opening.host")
def host_opening(user, tender):
    return has_role(user, Role.STAFF, tender.region)


@policy("opening.confirm")
def confirm_opening(user, tender):
    return (has_role(user, Role.BIDDER) and user.organization_id is not None
            and tender.bids.filter(organization_id=user.organization_id, status="submitted").exists())


# Permissions that also open the decrypted bids of a tender, each `(user, tender)`, registered by apps
# above trading (evaluation: the committee, "session.read_documents"), which trading may not import.
_DOCUMENT_READER_PERMISSIONS = []


def admit_document_readers(permission):
    """Whoever holds `permission` on the tender also reads its decrypted bids (through `can`: its rule, and
    the regulator and inactive-user guards, apply as they are)."""
    if permission not in _DOCUMENT_READER_PERMISSIONS:
        _DOCUMENT_READER_PERMISSIONS.append(permission)


@policy("opening.read_documents", read_only=True)
def read_opened_documents(user, tender):
    """Decrypted bids (docs/architecture.md §5: the committee and staff only): staff of the region, and whoever a
    permission admitted by admit_document_readers allows (the evaluation committee, while it evaluates)."""
    if has_role(user, Role.STAFF, tender.region):
        return True
    return any(can(user, permission, tender) for permission in _DOCUMENT_READER_PERMISSIONS)
