"""Every release of a tender in each state validates against the OCDS 1.1.5 schema (offline copy) and says
what the trading log says: tags, statuses, dates, amounts in CNY, parties with their roles."""

import pytest

from ledger.canonical import utc_iso
from ledger.models import Entry
from tests.ocds.conftest import releases_of
from trading.ocds import validate
from trading.ocds.build import ocid

TAGS = {
    "published_tender": [["tender"]],
    "amended": [["tender"], ["tenderAmendment"], ["tenderUpdate"]],
    "opened_tender": [["tender"], ["tenderUpdate"]],
    "failed": [["tender"], ["tenderUpdate"]],
    "awarded": [["tender"], ["tenderUpdate"], ["award"], ["awardUpdate"], ["contract"]],
}
STATUS = {"published_tender": "active", "amended": "active", "opened_tender": "active", "failed": "unsuccessful",
          "awarded": "complete"}


def _tender(value):
    return getattr(value, "tender", value)


@pytest.mark.parametrize("state", list(TAGS))
def test_every_release_of_a_tender_in_each_state_validates(request, client, state):
    tender = _tender(request.getfixturevalue(state))
    releases = releases_of(client, tender)
    for release in releases:
        assert validate.release_errors(release) == [], release["tag"]
    assert [r["tag"] for r in releases] == TAGS[state]
    assert releases[-1]["tender"]["status"] == STATUS[state]
    # Ids and dates are the log entries'.
    entries = list(Entry.objects.filter(tender_ref=tender.code, action__in=[
        "tender.published", "tender.amended", "opening.closed", "tender.failed", "publicity.published",
        "award.confirmed", "award.contract_signed"]).order_by("seq"))
    assert [r["id"] for r in releases] == [f"{ocid(tender.code)}-{e.seq}" for e in entries]
    assert [r["date"] for r in releases] == [utc_iso(e.created_at) for e in entries]
    assert {r["ocid"] for r in releases} == {f"ocds-bzggzy-{tender.code}"}


def test_a_published_tender_release_carries_its_terms_in_cny(client, published_tender):
    (release,) = releases_of(client, published_tender)
    body = release["tender"]
    assert body["value"] == {"amount": 1_000_000, "currency": "CNY"}  # 100,000,000 fen
    # Bidding opens with the announcement (its log entry), and ends at the deadline (= the opening).
    assert body["tenderPeriod"] == {"startDate": release["date"], "endDate": utc_iso(published_tender.bid_deadline)}
    assert (body["procurementMethod"], body["mainProcurementCategory"]) == ("open", "works")
    assert (body["awardCriteria"], body["awardCriteriaDetails"]) == ("ratedCriteria", "综合评估法")
    owner = published_tender.project.owner
    assert release["parties"] == [{
        "id": f"CN-SAMR-{owner.credit_code}", "name": owner.name, "roles": ["buyer", "procuringEntity"],
        "identifier": {"scheme": "CN-SAMR", "id": owner.credit_code, "legalName": owner.name},
        "address": {"region": owner.region.name, "countryName": "中国"}}]
    assert release["buyer"] == body["procuringEntity"] == {"id": f"CN-SAMR-{owner.credit_code}", "name": owner.name}
    assert [d["title"] for d in body["documents"]] == ["招标文件.pdf"]


def test_amendments_move_the_deadline_and_point_at_the_release_they_amend(client, amended):
    first, changed, clarified = releases_of(client, amended)
    original = first["tender"]["tenderPeriod"]["endDate"]
    assert original == utc_iso(amended.original_deadline)
    assert changed["tender"]["tenderPeriod"]["endDate"] == utc_iso(amended.bid_deadline) != original
    amendment, clarification = clarified["tender"]["amendments"]
    assert amendment["amendsReleaseID"] == first["id"] and amendment["releaseID"] == changed["id"]
    assert clarification["amendsReleaseID"] == changed["id"] and clarification["releaseID"] == clarified["id"]
    assert (amendment["rationale"], amendment["description"]) == ("变更公告（修改）", "工期由365天调整为300天。")
    assert [(d["title"], d["documentType"]) for d in clarified["tender"]["documents"]] == [
        ("招标文件.pdf", "biddingDocuments"), ("变更通知.pdf", "biddingDocuments")]
    assert "amendments" not in first["tender"] and len(changed["tender"]["amendments"]) == 1


def test_the_opening_record_release_names_the_bidders_and_their_prices(client, opened_tender):
    _tender_release, opening = releases_of(client, opened_tender.tender)
    names = [b.organization.name for b in sorted(opened_tender.bidders, key=lambda u: u.pk)]
    assert opening["tender"]["numberOfTenderers"] == 3
    assert sorted(t["name"] for t in opening["tender"]["tenderers"]) == sorted(names)
    assert sorted(b["value"]["amount"] for b in opening["bids"]["details"]) == [10_000_000, 10_010_000, 10_020_000]
    assert {b["status"] for b in opening["bids"]["details"]} == {"pending"}
    roles = {p["name"]: p["roles"] for p in opening["parties"]}
    assert all(roles[name] == ["tenderer"] for name in names)


def test_a_failed_tender_is_unsuccessful_with_its_count_and_no_names(client, failed):
    _tender_release, failure = releases_of(client, failed)
    assert failure["tender"]["status"] == "unsuccessful"
    assert failure["tender"]["numberOfTenderers"] == 1
    assert "tenderers" not in failure["tender"] and "bids" not in failure
    assert [p["roles"] for p in failure["parties"]] == [["buyer", "procuringEntity"]]


def test_the_award_turns_the_pending_candidates_into_one_active_award(client, awarded):
    releases = releases_of(client, awarded.tender)
    publicity, award, contract = releases[2:]
    assert [a["status"] for a in publicity["awards"]] == ["pending", "pending", "pending"]
    assert [a["status"] for a in award["awards"]] == ["active", "unsuccessful", "unsuccessful"]
    winner = award["awards"][0]
    assert winner["value"] == {"amount": 10_000_000, "currency": "CNY"}
    supplier = next(p for p in award["parties"] if p["id"] == winner["suppliers"][0]["id"])
    assert supplier["roles"] == ["tenderer", "supplier"]
    assert contract["contracts"] == [{"id": f"{awarded.tender.code}-contract", "awardID": winner["id"],
                                      "status": "active", "dateSigned": utc_iso(awarded.tender.award.contract_signed_at),
                                      "value": winner["value"]}]


def test_the_record_compiles_the_releases(client, awarded):
    response = client.get(f"/api/ocds/records/{ocid(awarded.tender.code)}/")
    package = response.json()
    (record,) = package["records"]
    compiled = record["compiledRelease"]
    assert validate.release_errors(compiled) == []
    assert compiled["tag"] == ["compiled"] and compiled["date"] == record["releases"][-1]["date"]
    assert compiled["tender"]["status"] == "complete"
    assert [a["status"] for a in compiled["awards"]] == ["active", "unsuccessful", "unsuccessful"]
    assert len(compiled["parties"]) == 4 and compiled["contracts"][0]["status"] == "active"
    assert package["version"] == "1.1" and package["publisher"]["name"] == "巴中市公共资源交易中心"


def test_the_validator_refuses_what_breaks_the_schema(client, published_tender):
    (release,) = releases_of(client, published_tender)
    broken = {**release, "tag": ["awarded"], "tender": {**release["tender"], "status": "open"}, "date": "yesterday"}
    errors = validate.release_errors(broken)
    assert any(e.startswith("tag/0:") for e in errors)
    assert any(e.startswith("tender/status:") for e in errors)
    assert any(e.startswith("date:") for e in errors)


def test_a_re_tender_names_the_failed_tender_it_follows(client, failed, make_user):
    from tests.factories import make_custodians
    from trading import actions
    from trading.actions.retender import retender

    owner, staff = failed.created_by, make_user("staff", "511921")
    new = retender(actor=owner, tender_id=failed.pk)
    actions.set_custodians(actor=staff, tender_id=new.pk, user_ids=[u.pk for u in make_custodians(3)], threshold=2)
    actions.submit_tender(actor=owner, tender_id=new.pk)
    actions.approve_tender(actor=staff, tender_id=new.pk)
    (release,) = releases_of(client, new)
    assert validate.release_errors(release) == []
    assert release["relatedProcesses"] == [{"id": "1", "relationship": ["unsuccessfulProcess"], "title": failed.title,
                                            "scheme": "ocid", "identifier": ocid(failed.code)}]


def test_the_package_schema_reaches_the_release_schema_offline(client, published_tender, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the validation tried the network")

    (release,) = releases_of(client, published_tender)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    package = {"uri": "https://example.org/p", "version": "1.1", "publisher": {"name": "x"},
               "publishedDate": release["date"], "releases": [release, {**release, "id": "2", "tag": ["bad"]}]}
    assert validate.package_errors(package) == ["releases/1/tag/0: 'bad' is not one of " + repr(
        validate.codelist("releaseTag"))]
