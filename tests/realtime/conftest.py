"""Fixtures of the realtime tests."""

import pytest


@pytest.fixture
def hall_ready(transactional_db, platform_pki, settings):
    from accounts.models import Region
    from accounts.regions import ensure_regions
    from tests.factories import seed_calendar

    ensure_regions(Region)
    seed_calendar()
