"""Test data through the same actions the platform uses (so every row has its ledger entry)."""

import itertools

from accounts import actions
from accounts.credit_code import make_code
from accounts.models import Organization

PASSWORD = "test-password-123"
_counter = itertools.count(1)

ROLE_ORG_KIND = {
    "bidder": Organization.Kind.BIDDER,
    "tenderer": Organization.Kind.TENDERER,
    "agency": Organization.Kind.AGENCY,
    "staff": Organization.Kind.CENTER,
    "regulator": Organization.Kind.REGULATOR,
}


def credit_code(region_code="511900"):
    """A valid unified social credit code, unique per call."""
    n = next(_counter)
    return make_code(f"91{region_code}MA{n:07d}")


def make_org(kind="bidder", region_code="511900", name=None):
    n = next(_counter)
    return actions.create_organization(
        actor=None, name=name or f"测试单位{n}", kind=kind, credit_code=credit_code(region_code), region_code=region_code,
    )


def make_user(role, region_code="511900", username=None, org=None, password=PASSWORD):
    kind = ROLE_ORG_KIND.get(role)
    if org is None and kind is not None:
        org = make_org(kind, region_code)
    user = actions.create_user(actor=None, username=username or f"{role}{next(_counter)}", password=password,
                               full_name=f"{role} user", organization=org)
    actions.grant_role(actor=None, user=user, role=role, region_code=region_code)
    return user
