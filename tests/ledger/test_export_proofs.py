"""The console's export for outsiders (ledger/export.py): the filtered set, scoped as the console is, with the
signed tree head, each entry's leaf data and audit path, and a manifest signed by the seal; streamed in
bounded batches. The proofs are checked here with the RFC's algorithms (ledger.merkle) and the reference
tree of tests/ledger/test_merkle_reference.py, not with the code that built them."""

import base64
import csv
import io
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from django.db import transaction

from ledger import chain, export, merkle, sth
from ledger.canonical import canonical_json
from ledger.models import Entry
from tests.ledger.test_merkle import _leaf_data as leaf_data
from tests.ledger.test_merkle_reference import mth, path

URL = "/ledger/export.csv"


def append(regions, action="test.action", tender=""):
    with transaction.atomic():
        for i, region in enumerate(regions):
            chain.append(action, region=region, tender_ref=tender, payload={"i": i, "名称": "=通江"})


def mixed_log():
    """Nine more entries, of two counties interleaved (the users' own entries come before)."""
    append(["511921", "511921", "511922"] * 3)


def seqs(**filters):
    return list(Entry.objects.filter(**filters).order_by("seq").values_list("seq", flat=True))


def get_json(client, **params):
    response = client.get(URL, {**params, "format": "json"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(b"".join(response.streaming_content))


def get_csv(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


def signed_by_seal(seal_pem_path, document):
    certificate = x509.load_pem_x509_certificate(seal_pem_path.read_bytes())
    signed = {k: v for k, v in document.items() if k != "signature"}
    certificate.public_key().verify(base64.b64decode(document["signature"]), canonical_json(signed), PKCS1v15(),
                                    SHA256())
    return certificate.fingerprint(SHA256()).hex() == document["seal_sha256"]


def test_the_json_export_names_the_head_and_proves_every_entry(client, city_regulator, seal):
    mixed_log()
    sth.publish()
    client.force_login(city_regulator)
    doc = get_json(client)
    assert doc["format"] == "bz-log-export/1"
    assert doc["sth"] == client.get("/ledger/sth/").json()
    leaves = leaf_data()
    n = len(leaves)
    assert doc["sth"]["tree_size"] == n
    assert [e["seq"] for e in doc["entries"]] == list(range(1, n + 1))
    root = mth(leaves)
    for e in doc["entries"]:
        assert e["leaf"].encode("utf-8") == leaves[e["seq"] - 1]  # exactly the bytes hashed as the leaf
        assert e["inclusion"] == [h.hex() for h in path(e["seq"] - 1, leaves)]
        assert merkle.verify_inclusion(merkle.leaf_hash(e["leaf"].encode()), e["seq"] - 1, n,
                                       [bytes.fromhex(h) for h in e["inclusion"]], root)
        assert {k: e[k] for k in ("time", "region", "action", "payload")} == {
            k: json.loads(e["leaf"])[k] for k in ("time", "region", "action", "payload")}
    manifest = doc["manifest"]
    digest = __import__("hashlib").sha256(b"".join(merkle.leaf_hash(leaf) for leaf in leaves)).hexdigest()
    assert {k: manifest[k] for k in ("tree_size", "root_hash", "count", "entries_sha256", "newer_not_exported",
                                     "scope", "filter")} == {
        "tree_size": n, "root_hash": root.hex(), "count": n, "entries_sha256": digest, "newer_not_exported": False,
        "scope": None, "filter": {}}
    assert signed_by_seal(seal, manifest)


def test_a_county_regulator_exports_only_its_county(client, tongjiang_regulator, seal):
    mixed_log()
    sth.publish()
    client.force_login(tongjiang_regulator)
    mine = seqs(region_code="511921")
    assert len(mine) >= 6 and len(seqs(region_code="511922")) >= 3
    doc = get_json(client)
    assert [e["seq"] for e in doc["entries"]] == mine
    assert {e["region"] for e in doc["entries"]} == {"511921"}
    assert (doc["manifest"]["scope"], doc["manifest"]["count"]) == (["511921"], len(mine))
    rows = get_csv(client)
    assert [int(row[0]) for row in rows[2:-1]] == mine
    # Asking for the other county by the filter gives nothing of it.
    other = get_json(client, region="511922")
    assert (other["entries"], other["manifest"]["count"], other["manifest"]["filter"]) == ([], 0, {"region": "511922"})
    assert [row[0] for row in get_csv(client, region="511922")[2:-1]] == []


def test_the_export_follows_the_console_filters(client, city_regulator, seal):
    mixed_log()
    append(["511921", "511922"], action="tender.published", tender="BZ511921-2026-0001-01")
    sth.publish()
    client.force_login(city_regulator)
    doc = get_json(client, action="tender.", tender="BZ511921-2026-0001-01")
    assert [e["seq"] for e in doc["entries"]] == seqs(action="tender.published") and len(doc["entries"]) == 2
    assert doc["manifest"]["filter"] == {"action": "tender.", "tender": "BZ511921-2026-0001-01"}


def test_entries_after_the_latest_head_are_left_out_and_the_manifest_says_so(client, city_regulator, seal):
    append(["511921"] * 5)
    sth.publish()
    size = len(leaf_data())
    append(["511921"] * 3)
    client.force_login(city_regulator)
    doc = get_json(client)
    assert doc["sth"]["tree_size"] == size
    assert [e["seq"] for e in doc["entries"]] == list(range(1, size + 1))
    assert doc["manifest"]["newer_not_exported"] is True
    for e in doc["entries"]:  # proved against the head, not the longer log
        assert e["inclusion"] == [h.hex() for h in path(e["seq"] - 1, leaf_data()[:size])]


def test_before_any_head_the_export_names_none_and_holds_no_entry(client, city_regulator, seal):
    append(["511921"] * 2)
    client.force_login(city_regulator)
    doc = get_json(client)
    assert (doc["sth"], doc["entries"]) == (None, [])
    assert (doc["manifest"]["count"], doc["manifest"]["newer_not_exported"]) == (0, True)
    assert "signature" not in doc["manifest"]


def test_the_csv_export_has_the_head_row_the_columns_the_proofs_and_the_manifest(client, city_regulator, seal):
    mixed_log()
    sth.publish()
    client.force_login(city_regulator)
    rows = get_csv(client)
    assert rows[0][0] == "bz-log-export/1"
    assert json.loads(rows[0][1]) == client.get("/ledger/sth/").json()
    assert rows[1] == ["seq", "time", "actor", "actor_name", "role", "region", "tender", "action", "payload",
                       "leaf", "inclusion"]
    leaves = leaf_data()
    for row in rows[2:-1]:
        seq = int(row[0])
        assert row[9].encode("utf-8") == leaves[seq - 1]
        assert row[10].split() == [h.hex() for h in path(seq - 1, leaves)]
        assert row[8] == json.dumps(json.loads(leaves[seq - 1])["payload"], ensure_ascii=False, sort_keys=True,
                                    separators=(",", ":"))
    assert [int(row[0]) for row in rows[2:-1]] == seqs()
    assert rows[-1][0] == "manifest"
    assert json.loads(rows[-1][1])["count"] == len(leaves)
    assert signed_by_seal(seal, json.loads(rows[-1][1]))


def test_proofs_are_built_a_bounded_batch_at_a_time(client, city_regulator, seal, monkeypatch,
                                                    django_assert_max_num_queries):
    append(["511921"] * (40 - len(leaf_data())))
    sth.publish()
    client.force_login(city_regulator)
    whole = get_json(client)
    monkeypatch.setattr(export, "BATCH", 7)
    seen = []
    real = export._with_proofs
    monkeypatch.setattr(export, "_with_proofs", lambda rows, size: seen.append(len(rows)) or real(rows, size))
    with django_assert_max_num_queries(30):  # 6 batches: a page of entries and one read of the tiles each
        batched = get_json(client)
    assert seen == [7, 7, 7, 7, 7, 5]
    assert batched["entries"] == whole["entries"]


def test_who_may_not_read_the_console_may_not_export(client, make_user, seal):
    append(["511921"])
    sth.publish()
    client.force_login(make_user("bidder", "511921"))
    assert client.get(URL, {"format": "json"}).status_code == 403


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield
