"""Who may do what with clarifications (澄清; registered in accounts.permissions).

Asking is the committee leader's, decided by evaluation.actions.clarify (it depends on the member, not
on a role). A bidder's users read and answer the requests to their own organization; the answer's
attachment is read by the committee (active, checked-in members), staff of the tender's region, the
bidder itself, and regulators of the region (read only).
"""

from accounts.models import Role
from accounts.permissions import has_role, policy

from .models_session import Member


def _own_organization(user, clarification):
    return (user.organization_id is not None and has_role(user, Role.BIDDER)
            and user.organization_id == clarification.bid.bid.organization_id)


@policy("clarification.list")
def list_clarifications(user, _obj):
    """The bidder workspace's list: a bidder with a company (it shows that company's requests only)."""
    return user.is_authenticated and user.organization_id is not None and has_role(user, Role.BIDDER)


@policy("clarification.answer")
def answer_clarification(user, clarification):
    return _own_organization(user, clarification)


@policy("clarification.read_file", read_only=True)
def read_answer_file(user, clarification):
    session = clarification.session
    region = session.tender.region
    if has_role(user, Role.STAFF, region) or has_role(user, Role.REGULATOR, region):
        return True
    if Member.objects.filter(session=session, user_id=user.pk, removed_at__isnull=True,
                             checked_in_at__isnull=False).exists():
        return True
    return _own_organization(user, clarification)
