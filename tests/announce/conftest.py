"""Fixtures of the announcement tests: published tenders of 通江县 (511921) and the city, and their
announcements made by calling trading.announce directly (the call sites in the actions are patched in by
the lead; announce() is idempotent per source, so these tests hold before and after)."""

import pytest

from tests.award.conftest import evaluated, opened_tender, specialties  # noqa: F401  (fixtures)
from tests.factories import make_tender, make_user


@pytest.fixture(autouse=True)
def _calendar(db):
    """The holiday calendar is seeded by a migration; transactional tests flush it, so make sure."""
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    if not CalendarYear.objects.exists():
        seed_from_package(CalendarDay, CalendarYear)


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def publish(region="511921", **terms):
    """A published tender of `region` and its tender announcement."""
    from trading.announce import announce

    staff = make_user("staff", region)
    tender = make_tender(make_user("tenderer", region), region, publish_by=staff, **terms)
    announce(tender, "tender", actor=staff)
    return tender


@pytest.fixture
def published(regions, platform_pki):
    return publish(title="通江县沙溪至永安道路工程")
