import pytest


@pytest.fixture(autouse=True)
def _calendar(db):
    """Tenders need the holiday calendar (legal periods count working days); transactional tests flush it."""
    from tests.factories import seed_calendar
    from trading.models import CalendarYear

    if not CalendarYear.objects.exists():
        seed_calendar()


@pytest.fixture
def bidder(make_user):
    return make_user("bidder", "511921", username="api_bidder")


@pytest.fixture
def bidder_token(bidder):
    from accounts import actions

    _row, token = actions.create_api_token(actor=bidder, name="cli")
    return token


@pytest.fixture
def tenderer(make_user):
    return make_user("tenderer", "511921", username="api_tenderer")


@pytest.fixture
def published_tender(tenderer, make_user):
    from tests.factories import make_tender

    return make_tender(tenderer, publish_by=make_user("staff", "511921"))
