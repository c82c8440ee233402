"""Who may do what with evaluation sessions (registered in accounts.permissions; the rules take the session).

Staff of the tender's region host the session (open it, check experts in, pause, move stages on). Staff
whose scope holds a sub-venue host that room: they check in its experts. Regulators of the region watch
(read-only). What a committee member may do is decided by the actions themselves (membership, stage,
leader), since it depends on the member, not on a role.
"""

from accounts.models import Role
from accounts.permissions import has_role, policy


@policy("session.open")
def open_session(user, tender):
    return has_role(user, Role.STAFF, tender.region)


@policy("session.host")
def host_session(user, session):
    return has_role(user, Role.STAFF, session.tender.region)


@policy("session.check_in")
def check_in(user, member):
    """The host, or staff of the member's venue (副场)."""
    if has_role(user, Role.STAFF, member.session.tender.region):
        return True
    return member.venue_id is not None and has_role(user, Role.STAFF, member.venue.region)


@policy("session.watch", read_only=True)
def watch_session(user, session):
    """Staff and regulators (evaluation.session_view.viewer decides members and venue staff)."""
    return has_role(user, Role.STAFF, session.tender.region) or has_role(user, Role.REGULATOR, session.tender.region)
