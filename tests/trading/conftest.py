import pytest


@pytest.fixture(autouse=True)
def _calendar(db):
    """The holiday calendar is seeded by a migration; transactional tests flush it, so make sure."""
    from tests.factories import seed_calendar
    from trading.models import CalendarYear

    if not CalendarYear.objects.exists():
        seed_calendar()


@pytest.fixture
def tongjiang_tenderer(make_user):
    return make_user("tenderer", "511921", username="tongjiang_tenderer")


@pytest.fixture
def nanjiang_tenderer(make_user):
    return make_user("tenderer", "511922", username="nanjiang_tenderer")
