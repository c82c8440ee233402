from .models import Role
from .permissions import has_role, policy


@policy("organization.list", read_only=True)
def list_organizations(user, region):
    return has_role(user, Role.STAFF, region) or has_role(user, Role.REGULATOR, region)


@policy("organization.verify")
def verify_organization(user, organization):
    # Trading center staff verify the companies registered in their own region.
    return has_role(user, Role.STAFF, organization.region)


@policy("key.register_custodian")
def register_custodian_key(user, _obj):
    return has_role(user, Role.CUSTODIAN)


@policy("key.register_bidder")
def register_bidder_key(user, _obj):
    return has_role(user, Role.BIDDER) and user.organization_id is not None


@policy("region.edit_contacts")
def edit_region_contacts(user, region):
    # The trading center's own staff publish how to reach it (help centre, issue 14).
    return has_role(user, Role.STAFF, region)
