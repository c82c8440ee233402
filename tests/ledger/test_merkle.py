"""The platform's Merkle tree (ledger.merkle, and ledger.tree's tiles) against RFC 9162's definitions
written out independently (test_merkle_reference.py)."""

import hashlib

import pytest
from django.db import transaction

from ledger import chain, merkle, sequencer, tree
from ledger.canonical import canonical_json
from ledger.models import Entry, Tile, TreeState
from tests.ledger.test_merkle_reference import mth, path, proof


def _data(n):
    return [hashlib.sha256(str(i).encode()).digest()[: i % 7] for i in range(n)]


def _node_over(leaves):
    """node(level, index) over leaf data, as the tiles answer it."""
    hashes = [merkle.leaf_hash(d) for d in leaves]
    return lambda level, index: merkle.fold(hashes[index << level:(index + 1) << level])


@pytest.mark.parametrize("n", range(1, 70))
def test_roots_and_every_audit_path_match_the_rfc(n):
    leaves = _data(n)
    node = _node_over(leaves)
    root = merkle.root_hash(n, node)
    assert root == mth(leaves)
    for m in range(n):
        audit = merkle.inclusion_path(m, n, node)
        assert audit == path(m, leaves)
        assert merkle.verify_inclusion(merkle.leaf_hash(leaves[m]), m, n, audit, root)


@pytest.mark.parametrize("second", range(1, 40))
def test_every_consistency_proof_matches_the_rfc_and_verifies(second):
    leaves = _data(second)
    node = _node_over(leaves)
    for first in range(1, second + 1):
        consistency = merkle.consistency_path(first, second, node)
        assert consistency == proof(first, leaves)
        assert merkle.verify_consistency(first, second, mth(leaves[:first]), mth(leaves), consistency)


def test_the_compact_range_streams_the_same_roots():
    leaves, compact = _data(300), merkle.CompactRange()
    assert compact.root() == hashlib.sha256(b"").digest() == mth([])
    for i, leaf in enumerate(leaves, 1):
        compact.append(merkle.leaf_hash(leaf))
        if i in (1, 2, 3, 7, 8, 9, 255, 256, 257, 300):
            assert compact.root() == mth(leaves[:i])


def test_an_inclusion_proof_fails_for_another_leaf_index_size_root_or_a_changed_hash():
    leaves = _data(13)
    node = _node_over(leaves)
    root, leaf = mth(leaves), merkle.leaf_hash(leaves[5])
    audit = merkle.inclusion_path(5, 13, node)
    assert merkle.verify_inclusion(leaf, 5, 13, audit, root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(leaves[6]), 5, 13, audit, root)  # a rewritten entry
    assert not merkle.verify_inclusion(leaf, 6, 13, audit, root)  # the entry moved (reordered)
    assert not merkle.verify_inclusion(leaf, 5, 7, audit, root)  # a path of another tree shape
    assert not merkle.verify_inclusion(leaf, 5, 13, audit, mth(leaves[:12]))
    assert not merkle.verify_inclusion(leaf, 5, 13, audit[:-1], root)
    assert not merkle.verify_inclusion(leaf, 5, 13, [*audit, audit[0]], root)
    assert not merkle.verify_inclusion(leaf, 13, 13, audit, root)
    changed = list(audit)
    changed[1] = bytes(32)
    assert not merkle.verify_inclusion(leaf, 5, 13, changed, root)


def test_a_consistency_proof_fails_for_a_rolled_back_or_forked_log():
    leaves = _data(20)
    old_root = mth(leaves[:11])
    node = _node_over(leaves)
    good = merkle.consistency_path(11, 20, node)
    assert merkle.verify_consistency(11, 20, old_root, mth(leaves), good)
    # A fork: entry 4 rewritten, then the log grew: its proofs are honest about the new tree, not the old one.
    forked = list(leaves)
    forked[3] = b"forged"
    fork_proof = merkle.consistency_path(11, 20, _node_over(forked))
    assert not merkle.verify_consistency(11, 20, old_root, mth(forked), fork_proof)
    # A rollback: the last five of the eleven removed and others appended.
    rolled = leaves[:6] + [b"other %d" % i for i in range(14)]
    assert not merkle.verify_consistency(11, 20, old_root, mth(rolled), merkle.consistency_path(11, 20, _node_over(rolled)))
    assert not merkle.verify_consistency(11, 20, old_root, mth(leaves), good[:-1])
    assert not merkle.verify_consistency(11, 20, old_root, mth(leaves), [])
    assert not merkle.verify_consistency(20, 11, mth(leaves), old_root, good)
    assert merkle.verify_consistency(11, 11, old_root, old_root, [])
    assert not merkle.verify_consistency(11, 11, old_root, mth(leaves[:10] + [b"x"]), [])


# --- The stored tiles ---------------------------------------------------------------------------------

def _append(n, start=0):
    with transaction.atomic():
        for i in range(start, start + n):
            chain.append("test.action", region="511921", payload={"i": i, "名称": "通江"})


def _leaf_data():
    return [canonical_json(chain.entry_document(
        seq=e.seq, created_at=e.created_at, actor_id=e.actor_id, actor_name=e.actor_name, role=e.role,
        region_code=e.region_code, tender_ref=e.tender_ref, action=e.action, payload_text=e.payload))
        for e in Entry.objects.order_by("seq")]


@pytest.fixture(params=[8, 2], ids=["tiles-of-256", "tiles-of-4"])
def tile_height(request, monkeypatch):
    """The real tiles, and tiles of four hashes, so that a few hundred entries fill five levels of them."""
    monkeypatch.setattr(tree, "TILE_HEIGHT", request.param)
    monkeypatch.setattr(tree, "TILE_WIDTH", 1 << request.param)
    return request.param


def test_tiles_integrated_in_steps_answer_like_the_rfc(db, tile_height):
    _append(5)
    assert tree.integrate() == 5
    _append(300, start=5)
    # The sequencer grows the tree as it hashes: several transactions, tiles left partial between them.
    assert sequencer.hash_pending(batch=37) == 300
    assert TreeState.objects.get().size == 305
    _append(260, start=305)
    assert tree.integrate(step=1000) == 565
    assert TreeState.objects.get().size == 565
    leaves = _leaf_data()
    levels = set(Tile.objects.values_list("level", flat=True))
    assert levels == ({0, 1} if tile_height == 8 else {0, 1, 2, 3, 4})
    tiles = tree.Tiles()
    for size in (1, 2, 5, 255, 256, 257, 300, 305, 512, 565):
        assert tree.root(size, tiles) == mth(leaves[:size])
    for seq, size in ((1, 1), (1, 565), (256, 256), (257, 565), (300, 305), (565, 565), (400, 512)):
        answer = tree.inclusion_proof(seq, size)
        assert [bytes.fromhex(h) for h in answer["audit_path"]] == path(seq - 1, leaves[:size])
        assert answer["leaf_hash"] == merkle.leaf_hash(leaves[seq - 1]).hex()
    for first, second in ((1, 565), (5, 305), (256, 512), (300, 301), (305, 565), (565, 565)):
        answer = tree.consistency_proof(first, second)
        assert [bytes.fromhex(h) for h in answer["consistency_path"]] == proof(first, leaves[:second])
    # Rebuilt from the stored entries (the tree's own path, used when it is behind the chain): the same tiles.
    grown = dict(((lv, ix), bytes(h)) for lv, ix, h in Tile.objects.values_list("level", "index", "hashes"))
    assert tree.rebuild() == 565
    assert dict(((lv, ix), bytes(h)) for lv, ix, h in Tile.objects.values_list("level", "index", "hashes")) == grown


def test_rebuilding_the_tiles_gives_the_same_tree(db):
    _append(40)
    tree.integrate(step=7)
    before = {(t.level, t.index): bytes(t.hashes) for t in Tile.objects.all()}
    assert tree.rebuild() == 40
    assert {(t.level, t.index): bytes(t.hashes) for t in Tile.objects.all()} == before


def test_integration_refuses_an_entry_that_does_not_match_its_hash(db):
    from tests.ledger.tampering import raw_sql

    # The sequencer grows the tree in the transaction that hashes: the tree reads stored entries itself only
    # when it is behind the chain, as when it is rebuilt (a database restored without its tiles).
    _append(9)
    tree.integrate()
    raw_sql("UPDATE ledger_entry SET payload = %s WHERE seq = 8", ['{"i":99}'])
    with pytest.raises(tree.TreeError) as info:
        tree.rebuild()
    assert info.value.seq == 8
    assert TreeState.objects.get().size == 0  # nothing of the batch was integrated
    assert not Tile.objects.exists()


def test_the_sequencer_grows_the_tree_in_the_transaction_that_hashes(db):
    _append(5)
    sequencer.hash_pending()
    assert TreeState.objects.get().size == 5
    assert tree.root(5) == mth(_leaf_data())


