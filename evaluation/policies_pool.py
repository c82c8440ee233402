"""Who may keep the expert pool and the venues (registered in accounts.permissions).

The city trading center keeps the one expert pool of 巴中 (experts serve every county); county staff
read the experts of their county; regulators read what their scope covers and never write.
"""

from accounts.models import Role
from accounts.permissions import city_region, has_role, policy, roles


@policy("expert.list", read_only=True)
def list_experts(user, _obj):
    return bool(roles(user) & {Role.STAFF, Role.REGULATOR})


@policy("expert.view", read_only=True)
def view_expert(user, expert):
    return has_role(user, Role.STAFF, expert.region) or has_role(user, Role.REGULATOR, expert.region)


@policy("expert.manage")
def manage_experts(user, _obj):
    """Create, edit, suspend, reinstate, retire and import: city staff only."""
    return has_role(user, Role.STAFF, city_region())


@policy("venue.list", read_only=True)
def list_venues(user, _obj):
    return bool(roles(user) & {Role.STAFF, Role.REGULATOR})


@policy("venue.manage")
def manage_venue(user, region):
    """Staff keep the venues of their region (city staff: every region)."""
    return has_role(user, Role.STAFF, region)
