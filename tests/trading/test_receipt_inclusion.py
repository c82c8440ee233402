"""A bidder's receipt and its inclusion proof: GET /api/bids/<id>/inclusion/ answers the receipt's log entry
with its audit path to the latest signed tree head once one covers it (409 `not_integrated` before), for the
bid's owner only; `tools/bidder.py verify-receipt --inclusion FILE` checks it with the seal certificate."""

import json

import pytest
from django.utils import translation

from ledger import merkle, sth
from ledger.models import Entry
from records.tree_heads import register_tree_head_signer
from tests.ledger.test_merkle import _leaf_data as leaf_data
from tests.trading.bidding import bidder_with_keys, published_tender, submit
from tests.trading.test_submit_bid import _seal_pem
from tools.bidderkit.cli import main as bidder_cli


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def bid(client, platform_pki, regions):
    register_tree_head_signer()
    body = submit(client, published_tender(), bidder_with_keys())
    return body


def inclusion(client, bid):
    return client.get(f"/api/bids/{bid['id']}/inclusion/")


def test_before_a_head_covers_the_entry_it_answers_409_not_integrated(client, bid):
    response = inclusion(client, bid)
    seq = json.loads(bid["receipt"])["ledger_seq"]
    assert response.status_code == 409
    assert response.json()["code"] == "not_integrated"
    assert response.json()["detail"] == f"交易日志第 {seq} 条尚未被签名树头覆盖；树头每隔几分钟发布一次，请稍后再试。"


def test_once_a_head_covers_it_the_entry_and_its_audit_path_verify(client, bid):
    head = sth.publish()
    body = inclusion(client, bid).json()
    seq = json.loads(bid["receipt"])["ledger_seq"]
    leaves = leaf_data()
    assert body["seq"] == seq
    assert body["sth"] == client.get("/ledger/sth/").json()
    assert body["leaf"].encode("utf-8") == leaves[seq - 1]
    assert json.loads(body["leaf"])["payload"]["commitment"] == json.loads(bid["receipt"])["ledger_commitment"]
    assert merkle.verify_inclusion(merkle.leaf_hash(leaves[seq - 1]), seq - 1, head.tree_size,
                                   [bytes.fromhex(h) for h in body["inclusion"]], bytes.fromhex(head.root_hash))


def test_nobody_but_the_bidder_gets_it(client, bid):
    sth.publish()
    client.logout()
    assert inclusion(client, bid).status_code == 401
    client.force_login(bidder_with_keys())
    before = Entry.objects.count()
    assert inclusion(client, bid).status_code == 404
    assert Entry.objects.count() == before


@pytest.fixture
def files(client, bid, tmp_path):
    """The receipt file as `submit` writes it, and the proof saved from the endpoint."""
    sth.publish()
    seal, ca = _seal_pem()
    receipt = tmp_path / "bid.sealed.receipt.json"
    receipt.write_text(json.dumps({
        "format": "bid-receipt-file/1", "server": "http://testserver", "bid": bid["id"], "receipt": bid["receipt"],
        "receipt_signature": bid["receipt_signature"], "seal_certificate": seal.decode(),
        "ca_certificate": ca.decode()}), encoding="utf-8")
    proof = inclusion(client, bid).json()

    def save(value):
        target = tmp_path / "inclusion.json"
        target.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        return str(target)

    return str(receipt), proof, save


def test_verify_receipt_checks_the_inclusion_proof(files, capsys):
    receipt, proof, save = files
    assert bidder_cli(["verify-receipt", receipt, "--inclusion", save(proof)]) == 0
    out = capsys.readouterr().out
    assert (f"inclusion OK: log entry {proof['seq']} of this receipt is in the signed tree head of "
            f"{proof['sth']['tree_size']} entries (root {proof['sth']['root_hash']}, signed by the seal)") in out
    assert "RECEIPT VALID" in out


def test_verify_receipt_refuses_a_rewritten_moved_or_unsigned_proof(files, capsys):
    receipt, proof, save = files
    leaf = json.loads(proof["leaf"])
    seq = proof["seq"]
    cases = {
        "a rewritten leaf": ({**proof, "leaf": proof["leaf"].replace(leaf["time"], "2020-01-01T00:00:00.000000+00:00")},
                             f"log entry {seq} is not in the signed tree head of {proof['sth']['tree_size']} entries"),
        "another entry": ({**proof, "seq": seq - 1, "leaf": leaf_data()[seq - 2].decode()},
                          f"the proof is for log entry {seq - 1}, the receipt names entry {seq}"),
        "a forged head": ({**proof, "sth": {**proof["sth"], "tree_size": proof["sth"]["tree_size"] + 1}},
                          "the tree head: the head's signature is not the seal's signature of its fields"),
        "a cut path": ({**proof, "inclusion": proof["inclusion"][:-1]}, "the audit path: the audit path is shorter"),
    }
    for name, (forged, reason) in cases.items():
        assert bidder_cli(["verify-receipt", receipt, "--inclusion", save(forged)]) == 1, name
        err = capsys.readouterr().err
        assert err.startswith("RECEIPT NOT VALID: ") and reason in err, (name, err)
