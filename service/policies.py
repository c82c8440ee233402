"""Who may do what in service efficiency (docs/architecture.md §3). Registered from ServiceConfig.ready()."""

from accounts.models import Role
from accounts.permissions import has_role, policy
from trading.models import Bid

from .models import Service

OWNER_SERVICES = {Service.REVIEW, Service.AWARD}
BIDDER_SERVICES = {Service.OPENING, Service.AWARD}


def _staff_or_regulator(user, region=None):
    return has_role(user, Role.STAFF, region) or has_role(user, Role.REGULATOR, region)


@policy("service.view_overdue", read_only=True)
def view_overdue(user, region):
    """Staff and regulators; with a region, only those whose scope holds it (a county sees its county)."""
    return _staff_or_regulator(user, region)


@policy("service.close_overdue")
def close_overdue(user, item):
    return has_role(user, Role.STAFF, item.region)


@policy("service.answer_rating")
def answer_rating(user, rating):
    return has_role(user, Role.STAFF, rating.region)


def objection_of(entry):
    """The objection a `tender.objection_answered` entry answers (its id is in the payload), or None."""
    import json

    from trading.models import Objection

    try:
        objection_id = json.loads(entry.payload).get("objection")
    except (TypeError, ValueError, AttributeError):
        return None
    return Objection.objects.filter(pk=objection_id).first() if isinstance(objection_id, int) else None


@policy("service.rate")
def rate(user, obj):
    """obj = (service, tender, entry). The party that received the service, never the center: the tender's
    owner (tenderer or agency) for its review and award, a bidder with a bid in it for the opening and the
    award, the company that raised an objection for its answer."""
    service, tender, entry = obj
    org = user.organization_id
    if org is None or has_role(user, Role.STAFF):
        return False
    if service == Service.ANSWER:
        objection = objection_of(entry)
        return (objection is not None and objection.organization_id == org and objection.tender_id == tender.pk
                and has_role(user, Role.BIDDER))
    if (service in OWNER_SERVICES and org == tender.project.owner_id
            and (has_role(user, Role.TENDERER) or has_role(user, Role.AGENCY))):
        return True
    return (service in BIDDER_SERVICES and has_role(user, Role.BIDDER)
            and Bid.objects.filter(tender=tender, organization_id=org, status=Bid.Status.SUBMITTED).exists())
