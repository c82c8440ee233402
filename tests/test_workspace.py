"""The workspace (工作台, issue 14): each role's section lists what needs it now, scoped to the user's
organization or region, in a number of queries that does not grow with the items."""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import PASSWORD, make_tender, make_user
from tests.role_matrix_fixtures import COUNTY, build_world


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker, tmp_path_factory, session_pki_dir):
    """The role matrix's world (tests/role_matrix_fixtures.py) with its evaluation session, rolled back at the end."""
    from django.test import override_settings

    from accounts.models import Region
    from accounts.regions import ensure_regions
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    media = tmp_path_factory.mktemp("workspace-media")
    with override_settings(PKI_DIR=session_pki_dir, RECORDS_SIGNER_KEY_BITS=2048, MEDIA_ROOT=media,
                           PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]), \
            django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_regions(Region)
            if not CalendarYear.objects.exists():
                seed_from_package(CalendarDay, CalendarYear)
            yield build_world(full=False, session=True)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _page(world, role):
    response = world.client(role).get("/workspace/")
    assert response.status_code == 200
    return response.context["sections"], response.content.decode()


@pytest.mark.django_db
class TestWorkspace:
    def test_bidder_sees_its_bids_clarifications_and_keys(self, world, db):
        sections, body = _page(world, "bid")
        assert set(sections) == {"bidder"}
        bids = sections["bidder"]["bids"]
        assert world.tenders["open"] in [b.tender for b in bids]
        assert {b.organization_id for b in bids} == {world.users["bid"].organization_id}
        assert [c.pk for c in sections["bidder"]["clarifications"]] == [world.ids["clarification_open"]]
        assert 'href="/evaluation/clarifications/"' in body and 'id="nav-keys"' in body
        assert "工作台" in body and "剩余" in body  # the clarification's deadline as a countdown
        other, _ = _page(world, "bid2")
        assert other["bidder"]["bids"] == [] and other["bidder"]["clarifications"] == []

    def test_custodian_sees_the_openings_of_its_shares(self, world, db):
        sections, body = _page(world, "cust")
        tenders = [c.tender for c in sections["custodian"]["shares"]]
        assert world.tenders["open"] in tenders
        assert f'href="/tenders/{world.tenders["open"].pk}/opening/"' in body

    def test_expert_sees_its_session(self, world, db):
        sections, body = _page(world, "exp")
        assert [m.session_id for m in sections["expert"]["members"]] == [world.ids["session"]]
        assert f'href="/evaluation/sessions/{world.ids["session"]}/"' in body

    def test_tenderer_sees_drafts_review_and_objections_of_its_organization_only(self, world, db):
        sections, _ = _page(world, "tend")
        owner = sections["owner"]
        assert world.tenders["draft"] in owner["drafts"]
        assert world.tenders["submitted"] in owner["under_review"]
        assert [o.pk for o in owner["objections"]] == [world.ids["objection"]]
        other, _ = _page(world, "tend2")
        assert other["owner"] == {"drafts": [], "under_review": [], "objections": [], "to_publish": [],
                                  "candidate_objections": [], "awards_due": []}

    def test_staff_and_regulators_see_their_region_only(self, world, db):
        here, body = _page(world, "stH")
        assert world.tenders["submitted"] in here["staff"]["review"]
        assert [s.pk for s in here["staff"]["sessions"]] == [world.ids["session"]]
        assert 'href="/evaluation/experts/venues/"' in body
        city, _ = _page(world, "stC")
        assert [s.pk for s in city["staff"]["sessions"]] == [world.ids["session"]]
        elsewhere, _ = _page(world, "stE")
        assert elsewhere["staff"] == {"review": [], "openings": [], "sessions": [], "green": []}
        for role in ("regH", "regC"):
            regulator, body = _page(world, role)
            assert [s.pk for s in regulator["regulator"]["sessions"]] == [world.ids["session"]]
            assert 'href="/ledger/"' in body

    def test_queries_do_not_grow_with_the_items(self, world, db):
        def count(role):
            with CaptureQueriesContext(connection) as queries:
                _page(world, role)
            return len(queries)

        before = {role: count(role) for role in ("tend", "stH", "bid")}
        drafts = len(_page(world, "tend")[0]["owner"]["drafts"])
        for _ in range(3):
            make_tender(world.users["tend"], COUNTY)
        assert len(_page(world, "tend")[0]["owner"]["drafts"]) == drafts + 3
        assert {role: count(role) for role in ("tend", "stH", "bid")} == before


def test_sign_in_lands_on_the_workspace_and_next_still_wins(client, db, regions):
    make_user("bidder", username="alice")
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/workspace/")
    other = Client()
    response = other.post("/accounts/login/?next=/tenders/", {"username": "alice", "password": PASSWORD,
                                                               "next": "/tenders/"})
    assert response["Location"] == "/tenders/"


def test_my_tenders_sends_a_bidder_to_its_workspace(client, db, regions):
    client.force_login(make_user("bidder"))
    response = client.get("/tenders/mine/")
    assert (response.status_code, response["Location"]) == (302, "/workspace/")
    client.force_login(make_user("expert"))
    assert client.get("/tenders/mine/").status_code == 403


def test_the_workspace_asks_for_sign_in(client, db):
    response = client.get("/workspace/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
