import pytest

from accounts.permissions import READ_ONLY_PERMISSIONS, can, registered_policies
from tests.factories import make_org


def test_every_write_permission_refuses_a_regulator(city_regulator):
    org = make_org("bidder", "511921")
    writes = [name for name in registered_policies() if name not in READ_ONLY_PERMISSIONS]
    assert writes, "there are write permissions to check"
    for name in writes:
        assert can(city_regulator, name, org) is False, name


def test_unknown_permissions_are_an_error(city_staff):
    with pytest.raises(KeyError):
        can(city_staff, "nothing.such", None)


def test_anonymous_users_hold_nothing(regions):
    from django.contrib.auth.models import AnonymousUser

    assert can(AnonymousUser(), "ledger.view", None) is False
