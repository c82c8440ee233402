"""The one place that answers "may this user do X to this object".

Apps declare their rules in their own `policies.py` with `@policy("tender.review")`; views, API
endpoints, consumers and actions all ask `can()` or `check()` here. A rule is a function
`(user, obj) -> bool`. Scope comes from the user's role assignments: a role held in 巴中市 covers
the whole city, a role held in a county covers only that county.
"""

from django.utils.translation import gettext_lazy as _

from .errors import Forbidden
from .models import Region, Role, RoleAssignment

_POLICIES = {}
READ_ONLY_PERMISSIONS = set()


def policy(name, *, read_only=False):
    """Register the rule for permission `name`. `read_only` rules are the only ones a regulator may pass."""

    def register(fn):
        if name in _POLICIES:
            raise RuntimeError(f"policy {name} registered twice")
        _POLICIES[name] = fn
        if read_only:
            READ_ONLY_PERMISSIONS.add(name)
        return fn

    return register


def registered_policies():
    return dict(_POLICIES)


def role_scopes(user):
    """[(role, region)] for the user, loaded once per user object."""
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(user, "_role_scopes", None)
    if cached is None:
        cached = [
            (ra.role, ra.region)
            for ra in RoleAssignment.objects.filter(user=user).select_related("region__parent__parent")
        ]
        user._role_scopes = cached
    return cached


def has_role(user, role, region=None):
    """True when the user holds `role`, and, if `region` is given, with a scope containing it."""
    for held, scope in role_scopes(user):
        if held == role and (region is None or scope.contains(region)):
            return True
    return False


def roles(user):
    return {role for role, _scope in role_scopes(user)}


def scope_region_ids(user, role):
    """Ids of every region where the user acts as `role` (for filtering querysets)."""
    ids = set()
    for held, scope in role_scopes(user):
        if held == role:
            ids.update(scope.subtree_ids())
    return ids


def is_regulator_only(user):
    held = roles(user)
    return bool(held) and held <= {Role.REGULATOR}


def can(user, permission, obj=None):
    rule = _POLICIES.get(permission)
    if rule is None:
        raise KeyError(f"unknown permission {permission!r}")
    if user is None or not user.is_active:
        return False
    # Regulators supervise; they never act. This holds even if a rule forgets them.
    if permission not in READ_ONLY_PERMISSIONS and is_regulator_only(user):
        return False
    return bool(rule(user, obj))


def check(user, permission, obj=None, message=None):
    if not can(user, permission, obj):
        raise Forbidden(message or _("You are not allowed to do this."))


def city_region():
    return Region.objects.get(parent__isnull=True)
