"""Who may co-sign tree heads as a witness (registered in accounts.permissions).

Regulators, of any county or of the city: a witness watches the whole log's heads, not one county's
entries. A regulator's only other write is the draw's second secret; like it, this rule is registered
read_only so that accounts.permissions.can lets a regulator-only user through, and admits regulators alone.
"""

from accounts.models import Role
from accounts.permissions import has_role, policy


@policy("ledger.witness", read_only=True)
def witness_heads(user, _obj):
    return has_role(user, Role.REGULATOR)
