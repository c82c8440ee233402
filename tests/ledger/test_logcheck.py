"""tools/logcheck.py, run as an outsider runs it: a copy of the file alone, on heads and proofs saved from the
public JSON, with the seal certificate. And its verifiers against the RFC's definitions."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ledger import merkle, sth
from ledger.canonical import canonical_json
from ledger.models import Entry
from tests.ledger.test_merkle import _leaf_data as leaf_data
from tests.ledger.test_merkle_reference import mth, path, proof
from tests.ledger.test_sth import append, forge_head, raw, rechain_from, rewrite
from tools import logcheck

TOOL = Path(__file__).resolve().parents[2] / "tools" / "logcheck.py"


@pytest.fixture
def run(tmp_path):
    """logcheck.py copied alone into an empty folder and run there in isolated mode (no project on the path)."""
    shutil.copy(TOOL, tmp_path / "logcheck.py")

    def call(*args):
        done = subprocess.run([sys.executable, "-I", "logcheck.py", *map(str, args)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        return done.returncode, (done.stdout + done.stderr).strip()

    return call


@pytest.fixture
def save(tmp_path):
    def write(name, value):
        target = tmp_path / name
        target.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
        return target

    return write


def entry_document(seq):
    """The entry's document as JSON, as an outsider holds it (its leaf data, parsed)."""
    assert Entry.objects.filter(seq=seq).exists()
    return json.loads(leaf_data()[seq - 1])


def test_its_verifiers_agree_with_the_rfc_on_every_small_tree():
    for n in range(1, 34):
        leaves = [bytes([i, n]) for i in range(n)]
        root = mth(leaves)
        for m in range(n):
            assert logcheck.root_from_inclusion(merkle.leaf_hash(leaves[m]), m, n, path(m, leaves)) == root
        for m in range(1, n + 1):
            assert logcheck.roots_from_consistency(m, n, mth(leaves[:m]), proof(m, leaves)) == (mth(leaves[:m]), root)


def test_a_head_verifies_with_the_seal_and_a_tampered_head_does_not(db, seal, client, save, run, platform_pki):
    append(5)
    sth.publish()
    head = client.get("/ledger/sth/").json()
    good = save("head.json", head)
    assert run("sth", good, "--seal", seal, "--ca", platform_pki / "ca.pem") == (
        0, f"OK: signed tree head of 5 entries, root {head['root_hash']}")
    for field, value in (("root_hash", mth([b"x"]).hex()), ("tree_size", 6), ("timestamp", head["timestamp"] - 1)):
        code, out = run("sth", save("bad.json", {**head, field: value}), "--seal", seal)
        assert (code, out) == (1, "FAILED: the head's signature is not the seal's signature of its fields")
    code, out = run("sth", good, "--seal", platform_pki / "ca.pem")  # not the seal's certificate
    assert (code, out) == (1, "FAILED: the head names another seal certificate (seal_sha256) than the one given")
    assert run("sth", good)[0] == 2  # no certificate given: nothing checked


def test_an_entry_is_included_and_a_rewritten_or_moved_one_is_not(db, seal, client, save, run):
    append(9)
    sth.publish()
    head = save("head.json", client.get("/ledger/sth/").json())
    saved = save("proof.json", client.get("/ledger/proof/inclusion", {"seq": 4, "size": 9}).json())
    entry = entry_document(4)
    assert canonical_json(entry) == leaf_data()[3]
    assert run("inclusion", head, saved, "--entry", save("entry.json", entry), "--seal", seal) == (
        0, "OK: entry 4 is included in the signed tree head of 9 entries")
    leaf = merkle.leaf_hash(leaf_data()[3]).hex()
    assert run("inclusion", head, saved, "--leaf-hash", leaf, "--skip-signature")[0] == 0
    rewritten = save("rewritten.json", {**entry, "payload": {"i": 99}})
    code, out = run("inclusion", head, saved, "--entry", rewritten, "--seal", seal)
    assert code == 1 and out.startswith("FAILED: entry 4 is not in the tree of this head")
    moved = save("moved.json", {**json.loads(saved.read_text()), "leaf_index": 4})  # the entry claimed elsewhere
    assert run("inclusion", head, moved, "--entry", save("entry.json", entry), "--seal", seal)[0] == 1


def test_two_heads_of_a_growing_log_are_consistent(db, seal, client, save, run):
    append(6)
    sth.publish()
    old = save("old.json", client.get("/ledger/sth/").json())
    append(7, start=6)
    sth.publish()
    new = save("new.json", client.get("/ledger/sth/").json())
    saved = save("proof.json", client.get("/ledger/proof/consistency", {"from": 6, "to": 13}).json())
    assert run("consistency", old, new, saved, "--seal", seal) == (
        0, "OK: the head of 13 entries extends the head of 6 entries")
    code, out = run("consistency", new, old, saved, "--seal", seal)
    assert (code, out) == (1, "FAILED: the newer head has fewer entries (6) than the older one (13): a rollback")


def test_a_fork_fails_the_consistency_proof(db, seal, client, save, run):
    append(8)
    sth.publish()
    old = save("old.json", client.get("/ledger/sth/").json())
    rewrite(3, {"i": "forged"})
    append(4, start=8)
    forge_head()
    new = save("new.json", client.get("/ledger/sth/").json())
    saved = save("proof.json", client.get("/ledger/proof/consistency", {"from": 8, "to": 12}).json())
    assert run("sth", new, "--seal", seal)[0] == 0  # the forged head is signed all right
    assert run("consistency", old, new, saved, "--seal", seal) == (
        1, "FAILED: the head of 12 entries does not extend the head of 8 entries: the log was rolled back or forked")


def test_a_rollback_fails_the_consistency_proof(db, seal, client, save, run):
    append(8)
    sth.publish()
    old = save("old.json", client.get("/ledger/sth/").json())
    raw("DELETE FROM ledger_entry WHERE seq > 5")
    rechain_from(5)
    append(6, start=100)  # other entries in the place of the removed ones
    forge_head()
    new = save("new.json", client.get("/ledger/sth/").json())
    saved = save("proof.json", client.get("/ledger/proof/consistency", {"from": 8, "to": 11}).json())
    code, out = run("consistency", old, new, saved, "--seal", seal)
    assert code == 1 and out.endswith("the log was rolled back or forked")
