"""Who may act on the candidates, objections, complaints and the award (registered in accounts.permissions;
docs/award.md). Each rule is `(user, tender)` unless stated."""

from accounts.models import Role
from accounts.permissions import has_role, policy

from .policies import OWNER_ROLES


def _owner(user, tender):
    return (user.organization_id is not None and user.organization_id == tender.project.owner_id
            and any(has_role(user, role, tender.region) for role in OWNER_ROLES))


def _bidder_of(user, tender):
    return (user.organization_id is not None and has_role(user, Role.BIDDER)
            and tender.bids.filter(organization_id=user.organization_id).exists())


@policy("award.view", read_only=True)
def view_award(user, tender):
    """The tender's award page: its tenderer, its bidders, staff and regulators of its region."""
    return (_owner(user, tender) or _bidder_of(user, tender) or has_role(user, Role.STAFF, tender.region)
            or has_role(user, Role.REGULATOR, tender.region))


@policy("award.manage")
def manage_award(user, tender):
    """The tenderer (or its agency): publishes the candidates, answers objections, confirms the award."""
    return _owner(user, tender)


@policy("award.object")
def raise_objection(user, tender):
    """Only an organization that bid on this tender (实施条例 art. 54: 投标人或者其他利害关系人; the
    platform admits its bidders)."""
    return _bidder_of(user, tender)


@policy("award.complain")
def file_complaint(user, objection):
    """A complaint follows the complainant's own objection (实施条例 art. 60 ¶2). `objection`: CandidateObjection."""
    return _bidder_of(user, objection.tender) and user.organization_id == objection.organization_id


@policy("award.decide_complaint", read_only=True)
def decide_complaint(user, tender):
    """Regulators of the tender's region. The one write the law gives them (实施条例 art. 61: the
    administrative supervisor decides), so the rule is registered among those a regulator may pass."""
    return has_role(user, Role.REGULATOR, tender.region)


@policy("award.complaints", read_only=True)
def list_complaints(user, region):
    return has_role(user, Role.REGULATOR, region) or has_role(user, Role.STAFF, region)


@policy("award.retender")
def retender(user, tender):
    """The tenderer of a failed tender starts its re-tender (实施条例 art. 44; 招标投标法 art. 28, 42)."""
    return _owner(user, tender)
