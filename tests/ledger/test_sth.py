"""Signed tree heads: publishing (command and periodic task), the seal's signature, the public JSON, and
verify_ledger recomputing the tree and checking every head."""

import base64
import json
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from django.core.management import call_command
from django.db import connection, transaction

from ledger import chain, merkle, sequencer, sth, tree
from ledger.canonical import canonical_json
from ledger.models import ChainHead, Entry, TreeHead
from tests.ledger.tampering import ON_POSTGRES, POSTGRES_ONLY, verify_output
from tests.ledger.test_merkle import _leaf_data as leaf_data
from tests.ledger.test_merkle_reference import mth, path, proof


@pytest.fixture(autouse=True)
def _english_messages():
    from django.utils import translation

    with translation.override("en"):
        yield


def append(n, start=0, region="511921"):
    with transaction.atomic():
        for i in range(start, start + n):
            chain.append("test.action", region=region, payload={"i": i})


def raw(sql, params=(), tables=("ledger_entry",)):
    """Tamper as an administrator with raw SQL would (triggers off on PostgreSQL, as a superuser can)."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def rechain_from(seq):
    """Recompute every hash from entry `seq` on and move the chain head: a forger who hides an edit from the
    hash chain (only anchors and signed tree heads still see it)."""
    prev = Entry.objects.get(seq=seq - 1).hash if seq > 1 else chain.GENESIS_HASH
    for e in Entry.objects.filter(seq__gte=seq).order_by("seq"):
        digest = chain.entry_hash(prev, chain.entry_document(
            seq=e.seq, created_at=e.created_at, actor_id=e.actor_id, actor_name=e.actor_name, role=e.role,
            region_code=e.region_code, tender_ref=e.tender_ref, action=e.action, payload_text=e.payload))
        raw("UPDATE ledger_entry SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, digest, e.seq])
        prev = digest
    last = Entry.objects.order_by("-seq").first()
    ChainHead.objects.filter(pk=1).update(seq=last.seq, hash=last.hash)
    sequencer.restart_numbering()  # and numbers the next entries from there


def rewrite(seq, payload):
    raw("UPDATE ledger_entry SET payload = %s WHERE seq = %s", [canonical_json(payload).decode(), seq])
    rechain_from(seq)


def signature_by(seal_pem_path, head_json):
    """The head's signature checked with `cryptography` and the seal certificate alone."""
    certificate = x509.load_pem_x509_certificate(seal_pem_path.read_bytes())
    signed = {k: v for k, v in head_json.items() if k != "signature"}
    try:
        certificate.public_key().verify(base64.b64decode(head_json["signature"]), canonical_json(signed),
                                        PKCS1v15(), SHA256())
    except Exception:  # noqa: BLE001 - any failure is "not signed"
        return False
    return certificate.fingerprint(SHA256()).hex() == head_json["seal_sha256"]


def forge_head():
    """What a forger holding the database and the seal's key publishes after rewriting the log and rebuilding
    the tiles: a correctly signed head that sth.publish() would refuse to sign (it is not an extension)."""
    from django.utils import timezone

    size = tree.rebuild()
    head = TreeHead(tree_size=size, root_hash=tree.root(size).hex(), timestamp=int(timezone.now().timestamp() * 1000),
                    seal_sha256=sth._the_signer().fingerprint(), published_at=timezone.now())
    head.signature = base64.b64encode(sth._the_signer().sign(canonical_json(sth.document(head)))).decode()
    head.save()
    return head


def publish_output():
    out = StringIO()
    call_command("publish_sth", stdout=out)
    return out.getvalue().strip()


# --- Publishing ---------------------------------------------------------------------------------------

def test_a_head_is_published_when_the_log_grew_and_only_then(db, seal):
    assert publish_output() == "unchanged: the log is empty"
    append(7)
    root = mth(leaf_data()).hex()
    assert publish_output() == f"published: tree head of 7 entries, root {root}"
    assert publish_output() == f"unchanged: tree head of 7 entries, root {root}"
    append(2, start=7)
    assert publish_output().startswith("published: tree head of 9 entries")
    first, second = TreeHead.objects.order_by("tree_size")
    assert (first.tree_size, second.tree_size) == (7, 9) and second.timestamp >= first.timestamp
    assert merkle.verify_consistency(7, 9, bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash),
                                     proof(7, leaf_data()))


def test_the_head_is_signed_by_the_platform_seal_and_a_tampered_one_is_not(db, seal):
    append(3)
    head = sth.publish()
    published = sth.as_json(head)
    assert set(published) == {"format", "log", "tree_size", "root_hash", "timestamp", "seal_sha256", "signature"}
    assert published["format"] == "bz-tree-head/1" and published["tree_size"] == 3
    assert signature_by(seal, published) and sth.signature_valid(head)
    for field, value in (("tree_size", 4), ("root_hash", "0" * 64), ("timestamp", head.timestamp + 1)):
        tampered = {**published, field: value}
        assert not signature_by(seal, tampered)
        assert not sth.signature_valid(TreeHead(**{k: v for k, v in tampered.items() if k not in ("format", "log")}))


def test_publishing_without_a_seal_is_refused(db, platform_pki, monkeypatch):
    monkeypatch.setattr(sth, "_signer", None)
    append(1)
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("publish_sth", stdout=out)
    assert out.getvalue().startswith("no tree head published: No seal is registered")
    assert not TreeHead.objects.exists()


def test_the_seal_never_signs_a_fork(db, seal):
    append(6)
    sth.publish()
    rewrite(2, {"i": "forged"})
    tree.rebuild()  # the forger rebuilt the tiles too
    append(1, start=6)
    with pytest.raises(sth.SthError) as info:
        sth.publish()
    assert info.value.code == "inconsistent_tree"
    assert TreeHead.objects.count() == 1


def test_the_periodic_task_publishes_and_queues_one_next_run(db, seal):
    from django_tasks_db.models import DBTaskResult

    from ledger.tasks import publish_tree_head_task, schedule_publishing

    assert schedule_publishing() is True
    assert schedule_publishing() is False  # one run is queued already
    append(4)
    assert publish_tree_head_task.call() == 4
    assert DBTaskResult.objects.filter(task_path=publish_tree_head_task.module_path).count() == 1
    assert publish_tree_head_task.call() is None  # nothing new: nothing signed
    assert TreeHead.objects.get().tree_size == 4


# --- The public JSON ----------------------------------------------------------------------------------

def test_heads_and_proofs_are_public_json(client, db, seal):
    assert client.get("/ledger/sth/").json()["code"] == "no_tree_head"
    assert client.get("/ledger/proof/inclusion", {"seq": 1, "size": 1}).status_code == 404
    append(11)
    sth.publish()
    append(9, start=11)
    sth.publish()
    leaves = leaf_data()
    latest = client.get("/ledger/sth/", HTTP_AUTHORIZATION="Token bzt_stale")  # a stale token does not matter
    assert latest.status_code == 200 and latest.json()["tree_size"] == 20
    assert latest.json()["root_hash"] == mth(leaves).hex() and signature_by(seal, latest.json())
    history = client.get("/ledger/sth/history/").json()
    assert [h["tree_size"] for h in history["results"]] == [20, 11] and history["count"] == 2
    included = client.get("/ledger/proof/inclusion", {"seq": 6, "size": 11})
    assert included.status_code == 200 and "max-age" in included["Cache-Control"]
    assert included.json() == {"seq": 6, "leaf_index": 5, "tree_size": 11,
                               "leaf_hash": merkle.leaf_hash(leaves[5]).hex(),
                               "audit_path": [h.hex() for h in path(5, leaves[:11])]}
    consistent = client.get("/ledger/proof/consistency", {"from": 11, "to": 20}).json()
    assert consistent == {"first": 11, "second": 20,
                          "consistency_path": [h.hex() for h in proof(11, leaves)]}


def test_proofs_wait_while_the_tiles_are_rebuilt(client, db, seal):
    from ledger.models import Tile

    append(3)
    sth.publish()
    Tile.objects.all().delete()  # tree.rebuild() at work
    response = client.get("/ledger/proof/consistency", {"from": 1, "to": 3})
    assert (response.status_code, response.json()["code"]) == (503, "tree_not_ready")
    tree.integrate()
    assert client.get("/ledger/proof/consistency", {"from": 1, "to": 3}).status_code == 503  # state says done
    tree.rebuild()
    assert client.get("/ledger/proof/consistency", {"from": 1, "to": 3}).status_code == 200


@pytest.mark.parametrize(("url", "query", "parameter"), [
    ("/ledger/proof/inclusion", {"size": 5}, "seq"),
    ("/ledger/proof/inclusion", {"seq": 6, "size": 5}, "seq"),
    ("/ledger/proof/inclusion", {"seq": 0, "size": 5}, "seq"),
    ("/ledger/proof/inclusion", {"seq": 1, "size": 6}, "size"),  # beyond the latest head
    ("/ledger/proof/inclusion", {"seq": 1, "size": "abc"}, "size"),
    ("/ledger/proof/inclusion", {"seq": 1, "size": str(2**64)}, "size"),
    ("/ledger/proof/consistency", {"from": 3}, "to"),
    ("/ledger/proof/consistency", {"from": 4, "to": 3}, "from"),
    ("/ledger/proof/consistency", {"from": "-1", "to": 3}, "from"),
    ("/ledger/proof/consistency", {"from": 1, "to": 9}, "to"),
    ("/ledger/sth/history/", {"page": "0"}, "page"),
])
def test_bad_parameters_are_refused_with_their_name(client, db, seal, url, query, parameter):
    append(5)
    sth.publish()
    append(3, start=5)  # entries not yet in a published head
    response = client.get(url, query)
    assert response.status_code == 400, response.content
    assert (response.json()["code"], response.json()["parameter"]) == ("invalid_parameter", parameter)


# --- verify_ledger ------------------------------------------------------------------------------------

def test_verify_ledger_recomputes_the_tree_and_checks_every_head(db, seal, capsys):
    append(5)
    sth.publish()
    append(300, start=5)
    sth.publish()
    append(2, start=305)  # not yet integrated
    call_command("verify_ledger")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [f"ledger ok: 307 entries, head {Entry.objects.last().hash}",
                     f"tree ok: 2 signed tree heads match, root {mth(leaf_data()).hex()}"]


def test_verify_ledger_reads_the_log_once_for_the_chain_and_the_tree(db, seal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    append(12)
    sth.publish()
    with CaptureQueriesContext(connection) as queries:
        call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())
    reads = [q["sql"] for q in queries if "FROM \"ledger_entry\"" in q["sql"] and "ORDER BY seq LIMIT" in q["sql"]]
    assert len(reads) == 1, reads  # 12 entries, one page of rows, read once (the tree once read them again)


def test_an_entry_rewritten_and_rechained_is_found_by_the_tree(db, seal):
    append(10)
    sth.publish()
    rewrite(4, {"i": "forged"})
    assert chain.verify().ok  # the hash chain alone no longer sees it
    code, out = verify_output()
    assert (code, out.strip()) == (1, "ledger broken at entry 4: it is not the entry the Merkle tree integrated: "
                                      "its leaf hash differs from the stored tree's")


def test_a_rewrite_with_rebuilt_tiles_is_found_by_the_signed_head(db, seal):
    append(10)
    head = sth.publish()
    rewrite(4, {"i": "forged"})
    tree.rebuild()
    code, out = verify_output()
    assert code == 1
    assert out.strip() == (f"ledger broken at entry 10: the signed tree head of 10 entries has root {head.root_hash}, "
                           f"but those entries hash to {mth(leaf_data()).hex()} (an entry up to here was changed, "
                           "removed or reordered)")


def test_reordered_entries_are_found_at_the_first_moved(db, seal):
    append(6)
    sth.publish()
    a, b = Entry.objects.get(seq=2).payload, Entry.objects.get(seq=3).payload
    raw("UPDATE ledger_entry SET payload = %s WHERE seq = 2", [b])
    raw("UPDATE ledger_entry SET payload = %s WHERE seq = 3", [a])
    rechain_from(2)
    assert verify_output()[1].startswith("ledger broken at entry 2: it is not the entry the Merkle tree integrated")


def test_a_rolled_back_log_is_found_by_the_heads(db, seal):
    append(8)
    sth.publish()
    raw("DELETE FROM ledger_entry WHERE seq > 5")
    ChainHead.objects.filter(pk=1).update(seq=5, hash=Entry.objects.get(seq=5).hash)
    assert chain.verify().ok  # no signed record anchors it: the chain is whole again
    code, out = verify_output()
    assert code == 1 and out.startswith("ledger broken at entry 6: the signed tree head of 8 entries")
    assert "covers entries the log no longer has: it ends at entry 5" in out


def test_a_deleted_entry_is_missing_from_the_tree(db, seal):
    append(6)
    sth.publish()
    raw("DELETE FROM ledger_entry WHERE seq = 3")
    checked = tree.verify(TreeHead.objects.order_by("tree_size"), sth.signature_valid)
    assert (checked.ok, checked.bad_seq, checked.reason) == (False, 3, "the entry is missing")


def test_a_tampered_head_row_is_found(db, seal):
    append(4)
    head = sth.publish()
    append(2, start=4)
    other = sth.publish()
    raw("UPDATE ledger_treehead SET signature = %s WHERE id = %s", [other.signature, head.pk], tables=["ledger_treehead"])
    code, out = verify_output()
    assert (code, out.strip()) == (1, "ledger broken at entry 4: the signed tree head of 4 entries does not carry "
                                      "a valid signature of the platform seal")


@POSTGRES_ONLY
def test_postgres_refuses_to_change_or_delete_a_published_head(db, seal):
    from django.db.utils import InternalError

    append(2)
    sth.publish()
    for sql in ["UPDATE ledger_treehead SET root_hash = 'x'", "DELETE FROM ledger_treehead"]:
        with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert json.dumps(sth.as_json(TreeHead.objects.get()))
