"""Closing an overdue item needs its cause, records it and logs it; only the center's staff close it, and
only once the late step is done. County scoping of the list and of the workspace panel."""

import pytest
import time_machine

from accounts.errors import DomainError, Forbidden
from ledger.models import Entry
from service.actions import close_overdue, scan_overdue
from service.models import OverdueItem
from tests.factories import make_tender
from trading import actions

from .conftest import MONDAY, at

LATER = at(2026, 9, 21, 9, 0)


@pytest.fixture
def items(holiday, tongjiang_tenderer, nanjiang_tenderer, settings):
    settings.SERVICE_LIMITS = {"review": 2}
    tenders = {}
    with time_machine.travel(MONDAY, tick=False):
        for key, owner in (("tj", tongjiang_tenderer), ("nj", nanjiang_tenderer)):
            tenders[key] = make_tender(owner)
            actions.submit_tender(actor=owner, tender_id=tenders[key].pk)
    with time_machine.travel(LATER, tick=False):
        scan_overdue()
    return {key: OverdueItem.objects.get(tender=t) for key, t in tenders.items()} | {"tenders": tenders}


def _returned(tender, staff):
    actions.return_tender(actor=staff, tender_id=tender.pk, reason="请补充资格条件")


def test_closing_records_the_cause_and_logs_it(items, tongjiang_staff):
    _returned(items["tenders"]["tj"], tongjiang_staff)
    item = close_overdue(actor=tongjiang_staff, item_id=items["tj"].pk, cause="系统故障导致审核延误")
    item.refresh_from_db()
    assert (item.cause, item.closed_by, item.closed_at is not None) == ("系统故障导致审核延误", tongjiang_staff, True)
    entry = Entry.objects.get(action="service.overdue_closed")
    assert (entry.actor_id, entry.tender_ref, entry.region_code) == (tongjiang_staff.pk, item.tender.code, "511921")
    assert '"cause":"系统故障导致审核延误"' in entry.payload


def test_closing_without_a_cause_or_before_the_step_is_done_changes_nothing(items, tongjiang_staff):
    head = Entry.objects.count()
    with pytest.raises(DomainError) as pending:
        close_overdue(actor=tongjiang_staff, item_id=items["tj"].pk, cause="原因")
    assert pending.value.code == "step_pending"
    _returned(items["tenders"]["tj"], tongjiang_staff)
    head = Entry.objects.count()
    with pytest.raises(DomainError) as empty:
        close_overdue(actor=tongjiang_staff, item_id=items["tj"].pk, cause="  ")
    assert empty.value.code == "required"
    assert Entry.objects.count() == head
    assert OverdueItem.objects.get(pk=items["tj"].pk).closed_at is None


def test_other_counties_staff_and_regulators_cannot_close(items, tongjiang_staff, nanjiang_staff, tongjiang_regulator,
                                                          city_regulator):
    _returned(items["tenders"]["tj"], tongjiang_staff)
    head = Entry.objects.count()
    for user in (nanjiang_staff, tongjiang_regulator, city_regulator):
        with pytest.raises(Forbidden):
            close_overdue(actor=user, item_id=items["tj"].pk, cause="原因")
    assert Entry.objects.count() == head
    assert OverdueItem.objects.get(pk=items["tj"].pk).closed_at is None


def test_the_page_closes_an_item_for_the_county_staff(items, tongjiang_staff, client):
    _returned(items["tenders"]["tj"], tongjiang_staff)
    client.force_login(tongjiang_staff)
    response = client.post(f"/service/overdue/{items['tj'].pk}/close/", {"cause": "专家临时缺席"})
    assert response.status_code == 302
    assert OverdueItem.objects.get(pk=items["tj"].pk).cause == "专家临时缺席"
    page = client.get("/service/overdue/?closed=1").content.decode()
    assert "专家临时缺席" in page and f"/service/overdue/{items['tj'].pk}/close/" not in page  # closed: no form
    assert "招标文件审核" in page


def test_county_staff_and_regulators_see_their_county_the_city_sees_all(
        items, tongjiang_staff, tongjiang_regulator, city_staff, city_regulator, client):
    tj, nj = f'id="overdue-{items["tj"].pk}"', f'id="overdue-{items["nj"].pk}"'
    for user, sees in ((tongjiang_staff, {tj}), (tongjiang_regulator, {tj}), (city_staff, {tj, nj}),
                       (city_regulator, {tj, nj})):
        client.force_login(user)
        page = client.get("/service/overdue/").content.decode()
        assert {m for m in (tj, nj) if m in page} == sees, user
        workspace = client.get("/workspace/").content.decode()
        if 'id="ws-service"' in workspace:  # the panel, once the workspace includes it
            assert {m for m in (tj, nj) if m in workspace} == sees


def test_bidders_and_visitors_are_refused_the_list(items, make_user, client):
    assert client.get("/service/overdue/").status_code == 302
    client.force_login(make_user("bidder"))
    assert client.get("/service/overdue/").status_code == 403


def test_the_workspace_panel_is_scoped_like_the_list(items, tongjiang_staff, nanjiang_staff, city_regulator,
                                                     make_user):
    from django.template import Context, Template

    panel = Template("{% load service_workspace %}{% service_panel user %}")
    tj, nj = f'id="overdue-{items["tj"].pk}"', f'id="overdue-{items["nj"].pk}"'
    for user, sees in ((tongjiang_staff, {tj}), (nanjiang_staff, {nj}), (city_regulator, {tj, nj}),
                       (make_user("bidder"), set())):
        html = panel.render(Context({"user": user}))
        assert {m for m in (tj, nj) if m in html} == sees
        assert ('id="ws-service"' in html) == bool(sees)  # a bidder supervises nothing: no panel
    # Only the item's own center gets the close form; regulators read.
    assert 'name="cause"' not in panel.render(Context({"user": city_regulator}))


def test_the_list_is_a_fixed_number_of_queries(items, city_staff, client, django_assert_max_num_queries):
    client.force_login(city_staff)
    with django_assert_max_num_queries(12):
        page = client.get("/service/overdue/?closed=1")
    assert page.status_code == 200
