from accounts.models import Organization
from ledger import sequencer
from ledger.models import Entry
from realtime.testing import capture_events, logged_entries
from tests.factories import make_org


def test_county_staff_verify_a_company_of_their_county(client, tongjiang_staff):
    org = make_org("bidder", "511921", verified=False)
    client.force_login(tongjiang_staff)
    with capture_events() as events:
        response = client.post(f"/accounts/organizations/{org.pk}/verify/")
        sequencer.hash_pending()  # the log's watchers hear of the entry once it is hashed
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.verified_at is not None
    last = Entry.objects.last()
    assert (last.action, last.region_code, last.actor_id) == ("organization.verified", "511921", tongjiang_staff.pk)
    assert [e["type"] for e in events] == ["ledger.entries"]
    assert logged_entries(events)[-1]["action"] == "organization.verified"  # after the fixtures' entries


def test_county_staff_are_refused_in_another_county(client, nanjiang_staff):
    org = make_org("bidder", "511921", verified=False)
    client.force_login(nanjiang_staff)
    before = Entry.objects.count()
    response = client.post(f"/accounts/organizations/{org.pk}/verify/")
    assert response.status_code == 403
    assert Organization.objects.get(pk=org.pk).verified_at is None
    assert Entry.objects.count() == before


def test_city_staff_act_in_every_county(client, city_staff):
    org = make_org("bidder", "511923", verified=False)
    client.force_login(city_staff)
    assert client.post(f"/accounts/organizations/{org.pk}/verify/").status_code == 302
    assert Organization.objects.get(pk=org.pk).verified_at is not None


def test_regulators_may_read_but_never_write(client, city_regulator):
    org = make_org("bidder", "511921", verified=False)
    client.force_login(city_regulator)
    page = client.get("/accounts/organizations/")
    assert page.status_code == 200
    assert org.name in page.content.decode()
    assert "核验</button>" not in page.content.decode()
    before = Entry.objects.count()
    assert client.post(f"/accounts/organizations/{org.pk}/verify/").status_code == 403
    assert Organization.objects.get(pk=org.pk).verified_at is None
    assert Entry.objects.count() == before


def test_county_staff_list_only_their_county(client, tongjiang_staff):
    mine, theirs = make_org("bidder", "511921", verified=False), make_org("bidder", "511922", verified=False)
    client.force_login(tongjiang_staff)
    body = client.get("/accounts/organizations/").content.decode()
    assert mine.name in body
    assert theirs.name not in body


def test_bidders_cannot_list_organizations(client, make_user):
    client.force_login(make_user("bidder"))
    assert client.get("/accounts/organizations/").status_code == 403


def test_verifying_twice_is_refused_with_a_message(client, city_staff):
    org = make_org("bidder", "511921", verified=False)
    client.force_login(city_staff)
    client.post(f"/accounts/organizations/{org.pk}/verify/")
    before = Entry.objects.count()
    response = client.post(f"/accounts/organizations/{org.pk}/verify/", follow=True)
    assert "该单位已核验" in response.content.decode()
    assert Entry.objects.count() == before
