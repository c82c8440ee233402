"""招标投标法 art. 22: before the deadline nobody but the bidder itself learns who or how many have bid —
on pages, the API, the trading log (console and export) and the record lists. The log still records
every bid event as it happens, as a commitment revealed at the deadline (docs/trading-log-commitments.md)."""

import csv
import datetime
import hashlib
import io
import json
import re

import pytest
import time_machine

from ledger import chain
from ledger.canonical import canonical_json
from ledger.models import Entry
from ledger.queries import last_seq
from records.models import Record
from tests.factories import make_user
from tests.trading.bidding import bidder_with_keys, published_tender, submit
from trading import actions
from trading.actions.receipt_pdf import produce_receipt_pdf

VIEWERS = ["county_staff", "city_staff", "county_regulator", "city_regulator", "other_bidder", "anonymous"]
SUPERVISORS = {"county_staff": ("staff", "511921"), "city_staff": ("staff", "511900"),
               "county_regulator": ("regulator", "511921"), "city_regulator": ("regulator", "511900")}


@pytest.fixture
def tender(platform_pki, regions):
    return published_tender()  # in 通江县 (511921)


def _viewer(client, name):
    if name == "anonymous":
        return None
    user = bidder_with_keys() if name == "other_bidder" else make_user(*SUPERVISORS[name])
    client.force_login(user)
    return user


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def _export_rows(client):
    """The export's entry rows (format: docs/trading-log.md, "Exports and receipt proofs") once a signed tree
    head covers them; "actor" is the name, and the audit paths are left out: they grow with the tree."""
    from ledger import sth
    from records.tree_heads import register_tree_head_signer

    register_tree_head_signer()
    sth.publish()
    rows = list(csv.reader(io.StringIO(_body(client.get("/ledger/export.csv")).decode())))
    return [{**dict(zip(rows[1], row, strict=True)), "actor": row[3], "inclusion": None} for row in rows[2:-1]]


def _secrets(bidders, bids):
    values = []
    for bidder, bid in zip(bidders, bids, strict=True):
        values += [bidder.organization.name, bidder.organization.credit_code, bidder.username, bid["receipt_no"],
                   bid["sha256"]]
    return values


def _assert_hidden(text, secrets):
    leaked = [s for s in secrets if s in text]
    assert leaked == []


@pytest.mark.parametrize("viewer", VIEWERS)
def test_before_the_deadline_no_one_else_learns_who_or_how_many_have_bid(client, tender, viewer):
    supervisor = viewer in SUPERVISORS
    # What the viewer could read before anyone bid: afterwards, the log shows nothing more about the tender.
    bidders = [bidder_with_keys(), bidder_with_keys()]  # registered companies: known to supervisors anyway
    user = _viewer(client, viewer)
    rows_before = _export_rows(client) if supervisor else []
    bids = [submit(client, tender, b) for b in bidders]
    receipts = [Record.objects.get(pk=produce_receipt_pdf(b["id"])) for b in bids]
    secrets = _secrets(bidders, bids)
    client.logout()
    if user is not None:
        client.force_login(user)

    page = client.get(f"/tenders/{tender.pk}/")
    assert page.status_code == 200
    assert page.context["arrivals"] is None
    assert 'id="bid-count"' not in page.content.decode()
    _assert_hidden(page.content.decode(), secrets)
    for url in (f"/api/tenders/{tender.pk}/", "/api/tenders/", f"/api/tenders/?q={tender.code}"):
        response = client.get(url)
        assert response.status_code == 200
        _assert_hidden(response.content.decode(), secrets)
        assert "bids" not in json.dumps(response.json())

    bid_lists = [client.get("/api/bids/"), client.get(f"/api/bids/?tender={tender.pk}")]
    if user is None:
        assert {r.status_code for r in bid_lists} <= {401, 403}
    else:
        assert [(r.status_code, r.json()["count"], r.json()["results"]) for r in bid_lists] == [(200, 0, [])] * 2
    assert client.get(f"/api/bids/{bids[0]['id']}/").status_code in (401, 403, 404)

    for receipt in receipts:
        assert client.get(f"/records/{receipt.pk}/download/").status_code in (302, 403, 404)
    if not supervisor:
        assert client.get("/ledger/").status_code in (302, 403)
        assert client.get("/records/").status_code in (302, 403)
        return
    console = client.get("/ledger/")
    _assert_hidden(console.content.decode(), secrets[3:5] + secrets[8:])  # receipts and envelopes
    assert tender.code not in "".join(str(e.payload) for e in console.context["page"] if e.action.startswith("bid."))
    records = client.get("/records/")
    assert records.status_code == 200
    assert list(records.context["page"].object_list) == []
    _assert_hidden(records.content.decode(), secrets)

    rows = _export_rows(client)
    new = rows[len(rows_before):]
    assert rows[:len(rows_before)] == rows_before
    _assert_hidden(json.dumps(new, ensure_ascii=False), secrets)
    # Only city-wide readers see that some bid event happened somewhere: no actor, region or tender.
    city_wide = viewer.startswith("city")
    assert {(r["action"], r["actor"], r["region"], r["tender"]) for r in new} == (
        {("bid.committed", "system", "", ""), ("record.signed", "system", "", "")} if city_wide else set())


def test_the_bidder_sees_its_own_bid_and_receipt(client, tender):
    bidder = bidder_with_keys()
    bid = submit(client, tender, bidder)
    record = Record.objects.get(pk=produce_receipt_pdf(bid["id"]))
    page = client.get(f"/tenders/{tender.pk}/")
    assert [b.receipt_no for b in page.context["my_bids"]] == [bid["receipt_no"]]
    assert [b["receipt_no"] for b in client.get(f"/api/bids/?tender={tender.pk}").json()["results"]] == [
        bid["receipt_no"]]
    assert client.get(f"/records/{record.pk}/download/").status_code == 200
    assert (record.region_id, record.tender_ref) == (None, "")


def test_receipt_numbers_are_random_not_counted_per_tender(client, tender):
    numbers = [submit(client, tender, bidder_with_keys())["receipt_no"] for _ in range(3)]
    pattern = re.compile(r"^R-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
    assert all(pattern.match(n) for n in numbers), numbers
    assert len(set(numbers)) == 3
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    values = [int("".join(str(alphabet.index(c)).zfill(2) for c in n.replace("R-", "").replace("-", "")))
              for n in numbers]
    assert all(abs(a - b) > 1 for a, b in zip(values, values[1:], strict=False))


def _commitments_verify(tender):
    """What anyone holding the log can check: every commitment revealed once, each hash recomputed."""
    committed = {e.seq: json.loads(e.payload) for e in Entry.objects.filter(action="bid.committed")}
    revealed = [json.loads(e.payload) for e in Entry.objects.filter(action="bid.revealed", tender_ref=tender.code)]
    assert sorted(r["commitment_seq"] for r in revealed) == sorted(committed)
    for r in revealed:
        recomputed = hashlib.sha256(canonical_json(r["document"])).hexdigest()
        assert committed[r["commitment_seq"]]["commitment"] == r["commitment"] == recomputed
        assert r["document"]["tender"] == tender.code
    return [r["document"] for r in revealed]


def test_at_the_deadline_every_commitment_is_revealed_and_verifies(client, tender):
    bidders = [bidder_with_keys() for _ in range(3)]
    bids = [submit(client, tender, b) for b in bidders]
    replacement = submit(client, tender, bidders[0], price=90)
    client.force_login(bidders[1])
    assert client.post(f"/api/bids/{bids[1]['id']}/withdraw/").status_code == 200
    bids[1] = submit(client, tender, bidders[1], price=95)
    assert not Entry.objects.filter(action="bid.revealed").exists()

    with time_machine.travel(tender.bid_deadline + datetime.timedelta(seconds=1), tick=False):
        actions.record_clock_stages(tender.pk)
        actions.record_clock_stages(tender.pk)  # a second run reveals nothing twice

    documents = _commitments_verify(tender)
    assert [(d["action"], d["organization"]) for d in documents] == [
        ("bid.upload_created", bidders[0].organization_id), ("bid.submitted", bidders[0].organization_id),
        ("bid.upload_created", bidders[1].organization_id), ("bid.submitted", bidders[1].organization_id),
        ("bid.upload_created", bidders[2].organization_id), ("bid.submitted", bidders[2].organization_id),
        ("bid.upload_created", bidders[0].organization_id), ("bid.replaced", bidders[0].organization_id),
        ("bid.submitted", bidders[0].organization_id), ("bid.withdrawn", bidders[1].organization_id),
        ("bid.upload_created", bidders[1].organization_id), ("bid.submitted", bidders[1].organization_id)]
    submitted = [d["payload"]["receipt_no"] for d in documents if d["action"] == "bid.submitted"]
    assert submitted[-2:] == [replacement["receipt_no"], bids[1]["receipt_no"]]
    assert chain.verify().ok

    # From the deadline on, everything is visible as before: staff see the arrivals, the county
    # regulator's log names the bidders.
    with time_machine.travel(tender.bid_deadline + datetime.timedelta(minutes=1), tick=False):
        client.force_login(make_user("staff", "511921"))
        assert len(client.get(f"/tenders/{tender.pk}/").context["arrivals"]) == 3
        client.force_login(make_user("regulator", "511921"))
        export = json.dumps(_export_rows(client), ensure_ascii=False)
        assert all(b.organization.credit_code in export for b in bidders)


def test_a_receipt_commitment_is_the_bidders_own_evidence(client, tender):
    from trading.receipts import verify_receipt

    bid = submit(client, tender, bidder_with_keys())
    receipt = json.loads(bid["receipt"])
    entry = Entry.objects.get(seq=receipt["ledger_seq"])
    assert json.loads(entry.payload)["commitment"] == receipt["ledger_commitment"]
    with time_machine.travel(tender.bid_deadline, tick=False):
        actions.record_clock_stages(tender.pk)
    reveal = next(json.loads(e.payload) for e in Entry.objects.filter(action="bid.revealed")
                  if json.loads(e.payload)["commitment_seq"] == entry.seq)
    assert reveal["document"]["payload"]["receipt_no"] == receipt["receipt_no"]
    assert reveal["document"]["payload"]["sha256"] == receipt["envelope_sha256"]
    from records.pki import cert_pem, platform_seal

    assert verify_receipt(bid["receipt"], bid["receipt_signature"], cert_pem(platform_seal().certificate))


def test_a_bidder_cannot_sign_in_to_the_hall_before_the_deadline(client, tender):
    from accounts.errors import DomainError
    from trading.actions import opening
    from trading.models import HallAttendance

    bidder = bidder_with_keys()
    submit(client, tender, bidder)
    head = last_seq()
    with pytest.raises(DomainError) as refused:
        opening.sign_in_hall(actor=bidder, tender_id=tender.pk)
    assert refused.value.code == "too_early"
    assert (last_seq(), HallAttendance.objects.count()) == (head, 0)
