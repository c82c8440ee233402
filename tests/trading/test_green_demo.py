"""`load_demo_green`: the demo officer's board shows a milestone met, one at risk and one overdue; a
second run adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import demo as accounts_demo
from accounts.models import User
from ledger.models import Entry
from trading import demo_bids
from trading.green import milestones as ms
from trading.models import GreenChannelRequest, Milestone


@pytest.fixture
def demo_accounts(regions, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    accounts_demo.load()
    demo_bids.ensure_keys(tmp_path / "keys")


def test_the_demo_shows_met_at_risk_and_overdue(demo_accounts, client):
    out = io.StringIO()
    call_command("load_demo_green", stdout=out)
    request = GreenChannelRequest.objects.get()
    assert (request.officer.username, request.deputy.username, request.status) == (
        "tongjiang_staff", "city_staff", "approved")
    states = ms.states(Milestone.objects.filter(request=request).select_related("tender"))
    by_state = {st.state for st in states}
    assert {ms.MET, ms.AT_RISK, ms.OVERDUE} <= by_state
    assert "overdue" in out.getvalue() and "at_risk" in out.getvalue()

    head = Entry.objects.count()
    call_command("load_demo_green", stdout=io.StringIO())
    assert GreenChannelRequest.objects.count() == 1 and Entry.objects.count() == head

    client.force_login(User.objects.get(username="tongjiang_staff"))
    page = client.get(reverse("trading:green_board")).content.decode()
    for state in ("met", "at_risk", "overdue"):
        assert f'data-state="{state}"' in page
    queue = client.get(reverse("trading:review")).content.decode()
    assert "诺水河旅游公路工程监理标段" in queue and "绿色通道" in queue
