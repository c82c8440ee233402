"""Fixtures of the realtime tests."""

import pytest


@pytest.fixture
def hall_ready(transactional_db, platform_pki, settings):
    from accounts.models import Region
    from accounts.regions import ensure_regions
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    ensure_regions(Region)
    seed_from_package(CalendarDay, CalendarYear)
