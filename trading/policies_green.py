"""Who may do what on the green channel (registered in accounts.permissions)."""

from accounts.models import Role
from accounts.permissions import has_role, policy

OWNER_ROLES = (Role.TENDERER, Role.AGENCY)


def _owner_member(user, project):
    return user.organization_id is not None and user.organization_id == project.owner_id


@policy("green.request")
def request_green_channel(user, project):
    """The project's own tenderer or agency asks for the green channel."""
    return _owner_member(user, project) and any(has_role(user, r, project.region) for r in OWNER_ROLES)


@policy("green.decide")
def decide(user, request):
    """The trading center of the city or of the project's county decides and assigns the officer."""
    return has_role(user, Role.STAFF, request.project.region)


@policy("green.note")
def add_note(user, request):
    """The dedicated officer and the deputy keep the notes and the contact log."""
    return user.pk in (request.officer_id, request.deputy_id) and has_role(user, Role.STAFF, request.project.region)


@policy("green.view", read_only=True)
def view(user, request):
    return (_owner_member(user, request.project)
            or has_role(user, Role.STAFF, request.project.region)
            or has_role(user, Role.REGULATOR, request.project.region))


@policy("green.view_plan", read_only=True)
def view_plan(user, request):
    """Milestones, notes, contacts and stage events: the center and regulators, not the tenderer."""
    return has_role(user, Role.STAFF, request.project.region) or has_role(user, Role.REGULATOR, request.project.region)


@policy("green.board")
def board(user, _obj):
    return has_role(user, Role.STAFF)


@policy("green.overview", read_only=True)
def overview(user, _obj):
    """Every green-channel project in one's scope (the city's staff and regulators: the whole city)."""
    return has_role(user, Role.STAFF) or has_role(user, Role.REGULATOR)


@policy("green.summary")
def summary(user, _obj):
    """The monthly summary record is the city center's (a city-wide record, records.policies)."""
    from accounts.permissions import city_region

    return has_role(user, Role.STAFF, city_region())
