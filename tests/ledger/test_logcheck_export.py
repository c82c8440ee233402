"""`tools/logcheck.py export`, run as an outsider runs it (the file alone, isolated mode, the seal certificate) on
exports downloaded from the console: the untampered JSON and CSV pass; a rewritten, deleted, reordered or
added entry, a cut-off file and a forged manifest fail; so does another seal."""

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest
from django.db import transaction

from ledger import chain, sth
from tests.ledger.test_logcheck import TOOL

URL = "/ledger/export.csv"


@pytest.fixture
def run(tmp_path):
    """logcheck.py copied alone into an empty folder and run there in isolated mode (as test_logcheck.py)."""
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


@pytest.fixture
def exported(client, city_regulator, seal):
    """A log of a dozen entries (one with a tender a spreadsheet would read as a formula), a head, and the
    regulator's exports of 通江's entries: (JSON document, CSV rows)."""
    with transaction.atomic():
        for i in range(8):
            chain.append("test.action", tender_ref="=HYPERLINK(1)" if i == 2 else "",
                         region="511921" if i % 4 else "511922", payload={"i": i, "名称": "通江"})
    sth.publish()
    client.force_login(city_regulator)
    doc = json.loads(b"".join(client.get(URL, {"format": "json", "region": "511921"}).streaming_content))
    text = b"".join(client.get(URL, {"region": "511921"}).streaming_content).decode("utf-8")
    assert len(doc["entries"]) >= 6 and any(e["tender"] == "=HYPERLINK(1)" for e in doc["entries"])
    return doc, list(csv.reader(io.StringIO(text)))


def write_csv(save, name, rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    target = save(name, {})
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


def ok_message(doc):
    return (f"OK: {len(doc['entries'])} entries, each included in the signed tree head of {doc['sth']['tree_size']} "
            f"entries (root {doc['sth']['root_hash']}); the manifest signed by the seal covers exactly these entries")


def test_an_untampered_export_passes_as_json_and_as_csv(exported, run, save, seal):
    doc, rows = exported
    assert run("export", save("export.json", doc), "--cert", seal) == (0, ok_message(doc))
    assert any(row[6] == "'=HYPERLINK(1)" for row in rows[2:-1])  # shown as text in a spreadsheet, still checked
    assert run("export", write_csv(save, "export.csv", rows), "--seal", seal) == (0, ok_message(doc))


def test_a_rewritten_entry_fails(exported, run, save, seal):
    doc, rows = exported
    entries = doc["entries"]
    seq = entries[1]["seq"]
    shown = {**doc, "entries": [entries[0], {**entries[1], "action": "tender.cancelled"}, *entries[2:]]}
    assert run("export", save("a.json", shown), "--cert", seal) == (
        1, f"FAILED: entry {seq}: the row's fields differ from its leaf data (a rewritten row)")
    leaf = json.loads(entries[1]["leaf"])
    leaf["payload"] = {"i": 99, "名称": "通江"}
    rewritten = {**entries[1], "payload": leaf["payload"],
                 "leaf": json.dumps(leaf, sort_keys=True, separators=(",", ":"), ensure_ascii=False)}
    assert run("export", save("b.json", {**doc, "entries": [entries[0], rewritten, *entries[2:]]}), "--cert",
               seal) == (1, f"FAILED: entry {seq} is not in the tree of this head (a rewritten entry, or a fork)")
    bad = [r[:] for r in rows]
    bad[3][7] = "tender.cancelled"
    assert run("export", write_csv(save, "c.csv", bad), "--cert", seal) == (
        1, f"FAILED: entry {seq}: the row's fields differ from its leaf data (a rewritten row)")


def test_a_deleted_or_added_entry_fails(exported, run, save, seal):
    doc, rows = exported
    entries = doc["entries"]
    expected = (1, f"FAILED: the file holds {len(entries) - 1} entries but the manifest signed {len(entries)}: "
                   "entries were deleted or added")
    assert run("export", save("a.json", {**doc, "entries": entries[:2] + entries[3:]}), "--cert", seal) == expected
    assert run("export", write_csv(save, "b.csv", rows[:4] + rows[5:]), "--cert", seal) == expected
    # The last entry removed with the manifest's count lowered: the signature no longer holds.
    forged = {**doc, "entries": entries[:-1], "manifest": {**doc["manifest"], "count": len(entries) - 1}}
    assert run("export", save("c.json", forged), "--cert", seal) == (
        1, "FAILED: the manifest's signature is not the seal's signature of its fields")


def test_an_entry_slipped_in_fails_though_its_proof_holds(exported, client, run, save, seal):
    doc, _rows = exported
    whole = json.loads(b"".join(client.get(URL, {"format": "json"}).streaming_content))
    stranger = next(e for e in whole["entries"] if e["region"] == "511922" and e["seq"] > doc["entries"][0]["seq"])
    entries = sorted([*doc["entries"], stranger], key=lambda e: e["seq"])
    assert run("export", save("a.json", {**doc, "entries": entries}), "--cert", seal) == (
        1, f"FAILED: the file holds {len(entries)} entries but the manifest signed {len(entries) - 1}: "
           "entries were deleted or added")


def test_a_reordered_export_fails(exported, run, save, seal):
    doc, rows = exported
    entries = doc["entries"]
    swapped = {**doc, "entries": [entries[1], entries[0], *entries[2:]]}
    assert run("export", save("a.json", swapped), "--cert", seal) == (
        1, f"FAILED: entry {entries[0]['seq']} comes after entry {entries[1]['seq']}: the entries are out of order "
           "(a reordered export)")
    assert run("export", write_csv(save, "b.csv", [rows[0], rows[1], rows[3], rows[2], *rows[4:]]), "--cert",
               seal)[0] == 1


def test_a_cut_off_export_or_another_seal_fails(exported, run, save, seal, platform_pki):
    doc, rows = exported
    assert run("export", write_csv(save, "a.csv", rows[:-1]), "--cert", seal) == (
        1, "FAILED: the export has no manifest: it was cut short, or its end was removed")
    assert run("export", save("b.json", {k: v for k, v in doc.items() if k != "manifest"}), "--cert", seal)[0] == 1
    assert run("export", save("c.json", doc), "--cert", platform_pki / "ca.pem") == (
        1, "FAILED: the head names another seal certificate (seal_sha256) than the one given")
    assert run("export", save("d.json", doc))[0] == 2  # no certificate: nothing checked
    forged_head = {**doc, "sth": {**doc["sth"], "timestamp": doc["sth"]["timestamp"] + 1}}
    assert run("export", save("e.json", forged_head), "--cert", seal) == (
        1, "FAILED: the head's signature is not the seal's signature of its fields")
