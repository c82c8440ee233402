"""verify_ledger checks the log head every signed record carries (docs/architecture.md §6): a log rolled back
behind a record — newest entries deleted, the chain head moved back — links up, but contradicts it."""

import pytest
from django.core.management import call_command

from ledger import chain, sequencer
from ledger.models import ChainHead, Entry
from records.actions import produce_record
from records.render import to_jsonable
from records.render.samples import sample_bid_receipt
from tests.ledger.tampering import raw_sql, verify_output


@pytest.fixture
def receipt(platform_pki, make_user):
    """A signed bid receipt, then two more entries on top of it."""
    bidder = make_user("bidder", "511923")
    data = to_jsonable(sample_bid_receipt())
    record = produce_record("bid_receipt", data, tender_ref=data["tender_code"], region="511923",
                            organization=bidder.organization)
    for n in range(2):
        chain.append_in_transaction("test.action", region="511923", payload={"n": n})
    sequencer.hash_pending()
    assert record.ledger_seq == record.anchor_seq + 1
    return record


def _roll_back_to(seq):
    """Delete every entry after `seq` and move the head back to it: a chain that still links up."""
    kept = Entry.objects.get(seq=seq).hash
    raw_sql("DELETE FROM ledger_entry WHERE seq > %s", [seq])
    raw_sql("UPDATE ledger_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, kept])
    sequencer.restart_numbering()  # and numbers the next entries from there, as a forger would
    assert chain.verify().count == seq and ChainHead.objects.get().seq == seq


def test_records_that_agree_with_the_log_verify(receipt, capsys):
    call_command("verify_ledger")
    assert capsys.readouterr().out.startswith(f"ledger ok: {receipt.ledger_seq + 2} entries")


def test_a_log_rolled_back_behind_a_record_s_anchor_is_found(receipt):
    _roll_back_to(receipt.anchor_seq - 1)
    code, out = verify_output()
    assert code == 1
    assert out.strip() == (
        f"ledger broken at entry {receipt.anchor_seq}: signed record {receipt.pk} “{receipt.title}” carries entry "
        f"{receipt.anchor_seq} as the log head it saw, but the log has no entry {receipt.anchor_seq} "
        f"(it ends at entry {receipt.anchor_seq - 1})")


def test_a_log_rolled_back_to_just_before_the_record_s_own_entry_is_found(receipt):
    _roll_back_to(receipt.anchor_seq)
    code, out = verify_output()
    assert code == 1
    assert out.strip() == (
        f"ledger broken at entry {receipt.ledger_seq}: signed record {receipt.pk} “{receipt.title}” was logged as "
        f"entry {receipt.ledger_seq}, but the log has no entry {receipt.ledger_seq} "
        f"(it ends at entry {receipt.anchor_seq})")


def test_a_log_rolled_back_and_rewritten_past_the_anchor_is_found(receipt):
    _roll_back_to(receipt.anchor_seq - 1)
    for n in range(4):  # new history on the old head: the same sequence numbers, other hashes
        chain.append_in_transaction("test.rewritten", region="511923", payload={"n": n})
    sequencer.hash_pending()
    rewritten = Entry.objects.get(seq=receipt.anchor_seq).hash
    code, out = verify_output()
    assert code == 1
    assert out.strip() == (
        f"ledger broken at entry {receipt.anchor_seq}: signed record {receipt.pk} “{receipt.title}” carries entry "
        f"{receipt.anchor_seq} with hash {receipt.anchor_hash}, but the log's entry {receipt.anchor_seq} "
        f"has hash {rewritten}")
