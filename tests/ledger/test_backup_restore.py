"""The restore drill: a platform in the middle of bidding is backed up, destroyed and restored; the log,
the records, a half-sent upload and the opening all come back (docs/operations.md)."""

import hashlib
import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from ledger import backup, sequencer, sth
from ledger.models import Entry
from records.models import Record
from records.verify import verify_pdf
from tests.realtime.opening_setup import opening_scene
from tests.trading.bidding import bidder_with_keys, finalize, sealed_bid
from trading import bidstore
from trading.actions import opening
from trading.actions.receipt_pdf import produce_receipt_pdf
from trading.models import Bid, BidUpload, OpenedBid

pytestmark = pytest.mark.django_db(transaction=True)
PART = 40_000


@pytest.fixture
def platform(seal, regions, settings, tmp_path):
    """Two sealed bids in, with their signed receipt PDFs; a third bidder's upload stopped after two parts;
    a signed tree head published. The PKI is this test's own copy: the drill deletes it."""
    settings.PKI_DIR = tmp_path / "pki"
    shutil.copytree(seal.parent, settings.PKI_DIR)
    scene = opening_scene(2)
    for bid in scene.bids:
        produce_receipt_pdf(bid["id"])
    late = bidder_with_keys()
    data, digest = sealed_bid(scene.tender, late, price=999 * 10_000_00, files=[("迟到.pdf", b"late bid " * 20_000)])
    client = Client()
    client.force_login(late)
    response = client.post("/api/uploads/", {"tender": scene.tender.pk, "size": len(data)},
                           content_type="application/json")
    upload_id = response.json()["id"]
    for offset in (0, PART):
        r = client.put(f"/api/uploads/{upload_id}/parts/?offset={offset}", data[offset:offset + PART],
                       content_type="application/octet-stream")
        assert r.status_code == 200, r.content
    assert sth.publish() is not None
    scene.late = {"client": client, "upload": upload_id, "data": data, "sha256": digest}
    return scene


def _files(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _destroy(settings):
    call_command("flush", interactive=False, verbosity=0)  # the test database allows TRUNCATE (conftest)
    shutil.rmtree(settings.MEDIA_ROOT)
    shutil.rmtree(settings.PKI_DIR)
    assert not Entry.objects.exists() and not Bid.objects.exists()


def _run(name, *args):
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_a_platform_in_the_middle_of_bidding_survives_backup_destruction_and_restore(platform, settings, tmp_path):
    scene, late = platform, platform.late
    head = backup.ledger_head()
    assert head["tree_size"] == head["seq"] > 0
    records = dict(Record.objects.values_list("pk", "sha256"))
    assert len(records) == 3  # two receipts and the tender announcement (招标公告, issue 13)
    media, pki = _files(settings.MEDIA_ROOT), _files(settings.PKI_DIR)
    target = tmp_path / "backup"

    made = _run("backup", str(target))
    assert "PKI passphrase is not in the backup" in made
    manifest = json.loads((target / "manifest.json").read_text())
    assert (manifest["format"], manifest["database"]["vendor"], manifest["ledger"]) == (
        "bzggzy-backup/1", backup.vendor(), head)
    listed = {f["path"] for f in manifest["files"]}
    assert listed == {manifest["database"]["file"], *(f"media/{n}" for n in media), *(f"pki/{n}" for n in pki)}
    assert settings.PKI_PASSPHRASE not in (target / "manifest.json").read_text()
    assert not any(settings.PKI_PASSPHRASE.encode() in p.read_bytes() for p in (target / "pki").iterdir())

    _destroy(settings)
    restored = _run("restore", str(target))
    assert "every file matches its SHA-256" in restored
    assert f"restored ledger head: entry {head['seq']} {head['hash']}" in restored

    # The log: verify_ledger passes (chain, tree, signed heads) with the same head and root.
    assert backup.ledger_head() == head
    assert _run("verify_ledger").startswith(f"ledger ok: {head['seq']} entries, head {head['hash']}")
    # The files: byte for byte, and the PKI keys stay private.
    assert (_files(settings.MEDIA_ROOT), _files(settings.PKI_DIR)) == (media, pki)
    assert (settings.PKI_DIR / "ca.key").stat().st_mode & 0o077 == 0
    # Every signed record verifies against the restored platform CA.
    assert dict(Record.objects.values_list("pk", "sha256")) == records
    for record in Record.objects.all():
        with record.file.open("rb") as f:
            report = verify_pdf(f.read())
        assert (report.ok, report.sha256) == (True, record.sha256)
    for bid in Bid.objects.all():
        assert bidstore.sha256(bid.envelope) == bid.sha256

    # The half-sent upload resumes from the offset the platform holds, through the API, and is accepted.
    client = late["client"]
    client.force_login(BidUpload.objects.get(pk=late["upload"]).user)
    held = client.get(f"/api/uploads/{late['upload']}/").json()["received"]
    assert held == 2 * PART
    data = late["data"]
    for offset in range(held, len(data), PART):
        r = client.put(f"/api/uploads/{late['upload']}/parts/?offset={offset}", data[offset:offset + PART],
                       content_type="application/octet-stream")
        assert r.status_code == 200, r.content
    response = finalize(client, late["upload"], late["sha256"])
    assert response.status_code == 201, response.content

    # After the deadline two custodians release their shares and the opening decrypts every bid.
    with scene.after_deadline():
        for custodian in scene.custodians[:2]:
            opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))
        assert opening.open_bids(scene.tender.pk) == 3
    outcomes = {o.bid_id: o for o in OpenedBid.objects.all()}
    assert {o.outcome for o in outcomes.values()} == {"opened"}
    assert sorted(o.bid_letter["price"] for o in outcomes.values()) == [999_0000_00, 1000_0000_00, 1001_0000_00]
    for i, bid in enumerate(scene.bids):
        stored = outcomes[bid["id"]].files.get()
        with bidstore.open_file(stored.storage_name) as f:
            assert f.read() == f"bid {i} ".encode() * 5000
    _run("verify_ledger")


def test_a_damaged_backup_is_refused_and_nothing_changes(platform, settings, tmp_path):
    target = tmp_path / "backup"
    _run("backup", str(target))
    bid = Bid.objects.first()
    damaged = target / "media" / bid.envelope
    raw = bytearray(damaged.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    damaged.write_bytes(bytes(raw))
    # A live platform meanwhile moves on: one more log entry, which a restore would wipe.
    platform.late["client"].delete(f"/api/uploads/{platform.late['upload']}/")
    sequencer.hash_pending()  # the live platform's sequencer hashes it
    head, media, pki = backup.ledger_head(), _files(settings.MEDIA_ROOT), _files(settings.PKI_DIR)
    assert head["seq"] > json.loads((target / "manifest.json").read_text())["ledger"]["seq"]

    with pytest.raises(CommandError, match=f"media/{bid.envelope} is damaged"):
        _run("restore", str(target), "--force")
    assert backup.ledger_head() == head
    assert (_files(settings.MEDIA_ROOT), _files(settings.PKI_DIR)) == (media, pki)
    assert BidUpload.objects.get(pk=platform.late["upload"]).status == "abandoned"

    # Into an emptied platform as well: refused, and the platform stays empty.
    _destroy(settings)
    with pytest.raises(CommandError, match="is damaged"):
        _run("restore", str(target))
    assert not Entry.objects.exists()
    assert not settings.MEDIA_ROOT.exists() and not settings.PKI_DIR.exists()


def test_a_platform_holding_data_is_not_overwritten_without_force(platform, settings, tmp_path):
    target = tmp_path / "backup"
    made = _run("backup", str(target))
    digest = hashlib.sha256((target / "manifest.json").read_bytes()).hexdigest()
    assert f"SHA-256 {digest}" in made
    with pytest.raises(CommandError, match="is not an empty directory"):
        _run("backup", str(target))
    head = backup.ledger_head()
    with pytest.raises(CommandError, match=r"the target is not empty: the database .*media .*pki"):
        _run("restore", str(target))
    with pytest.raises(CommandError, match="manifest.json does not have the SHA-256"):
        _run("restore", str(target), "--force", "--manifest-sha256", "0" * 64)
    assert backup.ledger_head() == head
    assert "restore complete" in _run("restore", str(target), "--force", "--manifest-sha256", digest)
    assert backup.ledger_head() == head
