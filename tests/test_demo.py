"""`manage.py load_demo` (what `make run` runs): on a new database with the key files of an earlier one,
run again on the same database, its tender opened days ago and ready for the expert draw, and the demo
keys it makes and mends."""

import datetime
import io
import stat

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.actions import register_public_key
from accounts.models import Organization, PublicKey, User
from evaluation.actions.draw import request_draw
from ledger.models import ChainHead, Entry
from trading import demo_bids
from trading.models import Bid, OpenedBid, OpeningConfirmation, Tender, TenderCustodian
from trading.sealing.keys import dump_key_file, fingerprint, load_key_file

DEMO_USERS = demo_bids.CUSTODIANS + demo_bids.BIDDERS


def _fingerprints(key_file):
    keys = load_key_file(key_file.read_bytes())
    return {fingerprint(key) for _purpose, key in demo_bids._public_keys(keys)}


def _registered(username):
    return set(PublicKey.objects.filter(user__username=username, revoked_at__isnull=True)
               .values_list("fingerprint", flat=True))


def _files(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture
def old_key_files(tmp_path):
    """The demo key folder a previous database left behind (`rm var/db.sqlite3`, a new DATABASE_URL)."""
    folder = tmp_path / "keys"
    folder.mkdir()
    for name in DEMO_USERS:
        kind = "custodian" if name in demo_bids.CUSTODIANS else "bidder"
        (folder / f"{name}.json").write_bytes(dump_key_file(demo_bids.new_keys(kind)))
    return folder


@pytest.mark.django_db
def test_it_loads_a_new_database_with_old_key_files_opens_a_tender_and_changes_nothing_when_run_again(
        platform_pki, regions, old_key_files):
    files = _files(old_key_files)
    before = ChainHead.objects.values_list("seq", flat=True).first() or 0  # entries made before the demo

    call_command("load_demo", keys_dir=str(old_key_files), stdout=io.StringIO())

    # The key files are kept, and this database now knows exactly their public keys.
    assert _files(old_key_files) == files
    for name in DEMO_USERS:
        assert _registered(name) == _fingerprints(old_key_files / f"{name}.json"), name
    # Every demo bidder company is verified, so the demo bids were accepted: 3 + 2 + 3 + 3 sealed bids.
    bidder_orgs = Organization.objects.filter(kind="bidder")
    assert bidder_orgs.count() == 5
    assert list(bidder_orgs.filter(verified_at__isnull=True)) == []
    assert Tender.objects.count() == 12
    assert Bid.objects.filter(status="submitted").count() == 11
    opened = _assert_the_opened_tender_was_opened(before)

    head = ChainHead.objects.get()
    counts = (User.objects.count(), PublicKey.objects.count(), Tender.objects.count(), Bid.objects.count())
    out = io.StringIO()
    call_command("load_demo", keys_dir=str(old_key_files), stdout=out)

    assert "demo tenders already loaded" in out.getvalue()
    assert (ChainHead.objects.get().seq, ChainHead.objects.get().hash) == (head.seq, head.hash)
    assert (User.objects.count(), PublicKey.objects.count(), Tender.objects.count(), Bid.objects.count()) == counts
    assert _files(old_key_files) == files

    _assert_staff_of_its_region_can_request_a_draw(opened)


def _assert_the_opened_tender_was_opened(before):
    """The demo's opened tender went through the whole opening at its deadline, days before start-up."""
    opened = Tender.objects.get(status="opened")
    assert (opened.title, opened.region.code) == ("巴州区江北老旧小区改造工程(一期)", "511902")
    assert opened.bid_deadline < timezone.now() - datetime.timedelta(days=3)
    assert opened.opening.status == "closed"
    assert opened.opening.closed_by.username == "bazhou_staff"
    assert opened.opening.record.kind == "opening_record"
    assert sorted(OpenedBid.objects.filter(bid__tender=opened).values_list(
        "bid__organization__members__username", "outcome", "bid_letter__price")) == [
        ("bidder1", "opened", 956_000_000), ("bidder2", "opened", 942_000_000), ("bidder3", "opened", 969_000_000)]
    assert TenderCustodian.objects.filter(tender=opened, released_at__isnull=False).count() == 3
    assert OpeningConfirmation.objects.filter(tender=opened, kind="confirm").count() == 3
    # The replay kept the trading log in time order, the opening included.
    times = list(Entry.objects.filter(seq__gt=before).order_by("seq").values_list("created_at", flat=True))
    assert times == sorted(times)
    actions = list(Entry.objects.filter(tender_ref=opened.code).order_by("seq").values_list(
        "action", flat=True))
    # Each bid's two events (upload created, submitted) are revealed at the deadline; 10 sign-ins: the host,
    # the city's regulator, the 5 custodians, the 3 bidders.
    assert actions[actions.index("tender.published"):] == [
        "tender.published", "tender.documents_open", "tender.documents_closed", "tender.bids_closed",
        *["bid.revealed"] * 6, "opening.started", *["opening.signed_in"] * 10,
        *["opening.share_released"] * 3, "opening.key_rebuilt", *["opening.bid_opened"] * 3, "opening.decrypted",
        *["opening.confirm"] * 3, "opening.closed", "record.signed"]
    return opened


def _assert_staff_of_its_region_can_request_a_draw(opened):
    """With the demo pool (make run loads it next), 巴州区's staff request the committee of five."""
    call_command("load_demo_experts", stdout=io.StringIO())

    draw = request_draw(actor=User.objects.get(username="bazhou_staff"), tender_id=opened.pk, committee_size=5,
                        tenderer_representatives=0, requirements=[{"specialty": "ENG-BLD", "count": 5}])

    assert draw.status == "committed"
    assert draw.requirements.get().count == 5


@pytest.mark.django_db
def test_demo_keys_are_made_once_and_replaced_when_their_key_was_revoked(regions, tmp_path):
    accounts_demo.load()
    folder = tmp_path / "keys"

    made = demo_bids.ensure_keys(folder)

    assert sorted(made) == sorted(DEMO_USERS)
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{name}.json" for name in DEMO_USERS)
    for name in DEMO_USERS:
        assert stat.S_IMODE((folder / f"{name}.json").stat().st_mode) == 0o600
        assert _registered(name) == _fingerprints(folder / f"{name}.json")
    files = _files(folder)
    keys_before = PublicKey.objects.count()

    assert demo_bids.ensure_keys(folder)["bidder1"].path == folder / "bidder1.json"
    assert _files(folder) == files
    assert PublicKey.objects.count() == keys_before

    # bidder1's company registers another signing key in the platform: the file's key is revoked, so
    # the demo would sign with a key the platform refuses. The file is replaced and the new keys registered.
    bidder1 = User.objects.get(username="bidder1")
    replacement = demo_bids.new_keys("bidder").signing
    register_public_key(actor=bidder1, purpose="bid_signing", pem=replacement.public_key().export_key(format="PEM"))

    demo_bids.ensure_keys(folder)

    now = _files(folder)
    assert now.pop("bidder1.json.replaced") == files["bidder1.json"]  # kept, not destroyed
    assert now.pop("bidder1.json") != files.pop("bidder1.json")
    assert now == files
    assert _registered("bidder1") == _fingerprints(folder / "bidder1.json")
