"""The ranking pages (staff and regulators of every center) and the signed PDF (city staff only, an ended
quarter): it verifies, names the last place, and is logged."""

import pytest
import time_machine
from django.utils.translation import gettext

from ledger.models import Entry
from records.models import Record
from records.verify import verify_pdf
from tests.records.helpers import read

from . import ranking_quarter
from .ranking_quarter import NOW


@pytest.fixture
def quarter(make_user, city_staff, tongjiang_staff):
    return ranking_quarter.build(make_user, city_staff, tongjiang_staff)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_staff_and_regulators_of_any_center_see_the_ranking(client, quarter, frozen, tongjiang_staff,
                                                             tongjiang_regulator, city_regulator):
    for user in (tongjiang_staff, tongjiang_regulator, city_regulator):
        client.force_login(user)
        index = client.get("/service/rankings/").content.decode()
        assert 'href="/service/rankings/2026/4/"' in index and 'href="/service/rankings/2026/3/"' in index
        page = client.get("/service/rankings/2026/3/")
        assert page.status_code == 200
        html = page.content.decode()
        row = html.split('id="ranking-511921"')[1].split("</tr>")[0]
        assert "last-place-mark" in row and "71.7" in row and "66.7% (2/3)" in row
        assert html.count("last-place-mark") == 1
        kfq = html.split('id="ranking-511971"')[1].split("</tr>")[0]
        assert "no-activity" in kfq and "no-activity" not in html.split('id="ranking-511922"')[1].split("</tr>")[0]
        assert 'id="ranking-produce"' not in html  # only the city's staff produce it
    client.force_login(tongjiang_staff)
    assert 'id="ranking-provisional"' in client.get("/service/rankings/2026/4/").content.decode()
    assert client.get("/service/rankings/2026/5/").status_code == 404
    assert client.get("/service/rankings/2025/1/").status_code == 404  # before the first log entry


def test_parties_and_visitors_do_not_see_it(client, quarter, frozen, make_user):
    assert client.get("/service/rankings/2026/3/").status_code == 302  # to the login page
    for role in ("tenderer", "bidder", "agency"):
        client.force_login(make_user(role))
        assert client.get("/service/rankings/").status_code == 403
        assert client.get("/service/rankings/2026/3/").status_code == 403


def test_city_staff_produce_the_signed_ranking_and_it_verifies(client, quarter, platform_pki, city_staff):
    # At the real time (after the quarter): the platform CA is issued now, a signature dated in the frozen
    # past would predate it.
    client.force_login(city_staff)
    assert 'id="ranking-produce"' in client.get("/service/rankings/2026/3/").content.decode()
    response = client.post("/service/rankings/2026/3/pdf/")
    assert response.status_code == 302
    record = Record.objects.get(kind="service_ranking")
    assert record.title == "交易中心服务效能季度排名 · 2026年第3季度"
    assert record.region.code == "511900" and record.signer_names()[0] == city_staff.full_name
    report = verify_pdf(read(record))
    assert report.ok
    assert [s.field for s in report.signatures] == ["Producer", "Seal"]
    entry = Entry.objects.get(action="record.signed", seq=record.ledger_seq)
    assert entry.actor_id == city_staff.pk and '"kind":"service_ranking"' in entry.payload
    assert f'href="/records/{record.pk}/download/"' in client.get("/service/rankings/2026/3/").content.decode()


def test_no_one_else_produces_it_and_not_for_an_open_quarter(client, quarter, frozen, platform_pki, city_staff,
                                                             tongjiang_staff, city_regulator):
    head = Entry.objects.count()
    for user in (tongjiang_staff, city_regulator):
        client.force_login(user)
        assert client.post("/service/rankings/2026/3/pdf/").status_code == 403
    client.force_login(city_staff)
    response = client.post("/service/rankings/2026/4/pdf/", follow=True)
    assert gettext("The quarter has not ended: its ranking is still provisional.") in response.content.decode()
    assert client.get("/service/rankings/2026/3/pdf/").status_code == 405
    assert (Record.objects.count(), Entry.objects.count()) == (0, head)
