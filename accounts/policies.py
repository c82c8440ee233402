from .models import Role
from .permissions import has_role, policy


@policy("organization.list", read_only=True)
def list_organizations(user, region):
    return has_role(user, Role.STAFF, region) or has_role(user, Role.REGULATOR, region)


@policy("organization.verify")
def verify_organization(user, organization):
    # Trading center staff verify the companies registered in their own region.
    return has_role(user, Role.STAFF, organization.region)
