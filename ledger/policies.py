from accounts.models import Role
from accounts.permissions import has_role, policy


@policy("ledger.view", read_only=True)
def view_ledger(user, region):
    """Regulators and trading center staff read the log of their scope (region None: any scope)."""
    return has_role(user, Role.REGULATOR, region) or has_role(user, Role.STAFF, region)
