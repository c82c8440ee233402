"""Exports for outsiders: a filtered set of entries with the proofs that they are in a signed tree head.

The format is in docs/trading-log.md ("Exports and receipt proofs"); tools/logcheck.py `export` checks a
file. An export names the latest signed tree head, and holds each entry's leaf data (the exact bytes the
tree hashed) and its audit path to that head; entries after the head are not exported (the manifest says
so). Its last part is a manifest signed by the seal: the number of entries and the SHA-256 of their leaf
hashes in order, so a row deleted, added or moved in the file shows, not only a rewritten one.

Streamed: entries are read `BATCH` at a time (keyset pages) and each batch's proofs are built from one
read of the tiles they need, so memory stays bounded whatever the size of the set.
"""

import base64
import hashlib
import json

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

from . import merkle, sth, tree
from .canonical import canonical_json
from .chain import stored_bytes  # one definition of an entry's hashed document
from .models import Entry
from .queries import visible_region_codes

FORMAT = "bz-log-export/1"
BATCH = 256  # entries (and proofs) held at once
COLUMNS = ("seq", "created_at", "actor_id", "actor_name", "role", "region_code", "tender_ref", "action", "payload",
           "prev_hash", "hash")
CSV_HEADER = ["seq", "time", "actor", "actor_name", "role", "region", "tender", "action", "payload", "leaf",
              "inclusion"]


def dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _with_proofs(rows, size):
    """(document, leaf bytes, audit path) of each row, the paths built from one read of the tiles."""
    leaves = [stored_bytes(row) for row in rows]

    def compute(node):
        return [merkle.inclusion_path(row[0] - 1, size, node) for row in rows]

    tiles, known = tree.Tiles.reading(compute), {}

    def node(height, index):  # neighbours share most of their paths: hash each node once per batch
        if (height, index) not in known:
            known[height, index] = tiles.node(height, index)
        return known[height, index]

    paths = compute(node)
    return [(json.loads(leaf), leaf, path) for leaf, path in zip(leaves, paths, strict=True)]


def covered_entries(qs, size, batch=None):
    """Yield (document, leaf bytes, audit path) for the entries of `qs` with seq ≤ size, in seq order."""
    last, batch = 0, batch or BATCH
    while True:
        rows = list(qs.filter(seq__gt=last, seq__lte=size).order_by("seq").values_list(*COLUMNS)[:batch])
        if not rows:
            return
        yield from _with_proofs(rows, size)
        last = rows[-1][0]
        if len(rows) < batch:
            return


class Export:
    """One export of `qs` (already filtered and scoped) for `user`: its head, its entries, its manifest."""

    def __init__(self, user, qs, filters):
        self.qs, self.filters = qs, {k: v for k, v in filters.items() if v}
        scope = visible_region_codes(user)
        self.scope = None if scope is None else sorted(scope)
        self.head = sth.latest()
        self.size = self.head.tree_size if self.head else 0
        self.newer = qs.filter(seq__gt=self.size).exists()
        self.count, self.digest = 0, hashlib.sha256()
        self.signer = None
        if self.head is not None:
            try:
                signer = sth.signer()
                signer.fingerprint()  # loads the seal now: a missing seal is an error page, not a cut-off file
            except Exception:  # noqa: BLE001 - whatever the seal's store raises: it cannot sign
                raise DomainError("no_seal", _("The platform seal cannot sign the export now."),
                                  http_status=503) from None
            self.signer = signer

    def sth_json(self):
        return sth.as_json(self.head) if self.head else None

    def entries(self):
        """(document, leaf text, audit path hex) of each entry, counted into the manifest."""
        for doc, leaf, path in covered_entries(self.qs, self.size):
            self.count += 1
            self.digest.update(merkle.leaf_hash(leaf))
            yield doc, leaf.decode("utf-8"), [h.hex() for h in path]

    def manifest(self):
        """The signed end of the file (call it after entries() is exhausted)."""
        doc = {"format": FORMAT, "log": sth.LOG_ID, "filter": self.filters, "scope": self.scope,
               "tree_size": self.size, "root_hash": self.head.root_hash if self.head else None,
               "count": self.count, "entries_sha256": self.digest.hexdigest(),
               "newer_not_exported": self.newer, "exported_at": timezone.now().isoformat(timespec="seconds")}
        if self.signer is None:
            return doc
        doc["seal_sha256"] = self.signer.fingerprint()
        signature = self.signer.sign(canonical_json(doc))
        return {**doc, "signature": base64.b64encode(signature).decode("ascii")}


def _entry_json(doc, leaf, path):
    return {"seq": doc["seq"], "time": doc["time"], "actor": doc["actor"], "actor_name": doc["actor_name"],
            "role": doc["role"], "region": doc["region"], "tender": doc["tender"], "action": doc["action"],
            "payload": doc["payload"], "leaf": leaf, "inclusion": path}


def stream_json(export):
    """{"format", "sth", "entries": [...], "manifest"}, one entry per line."""
    yield f'{{"format":"{FORMAT}","sth":{dumps(export.sth_json())},"entries":['
    separator = "\n"
    for doc, leaf, path in export.entries():
        yield separator + dumps(_entry_json(doc, leaf, path))
        separator = ",\n"
    yield f'\n],"manifest":{dumps(export.manifest())}}}\n'


def stream_csv(export, writer):
    """Row 1: the format and the head (JSON); row 2: the column names; one row per entry (the audit path
    as hex hashes separated by spaces); last row: "manifest" and the signed manifest (JSON)."""
    yield writer.writerow([FORMAT, dumps(export.sth_json())])
    yield writer.writerow(CSV_HEADER)
    for doc, leaf, path in export.entries():
        yield writer.writerow([doc["seq"], doc["time"], "" if doc["actor"] is None else doc["actor"],
                               doc["actor_name"], doc["role"], doc["region"], doc["tender"], doc["action"],
                               dumps(doc["payload"]), leaf, " ".join(path)])
    yield writer.writerow(["manifest", dumps(export.manifest())])


def entry_inclusion(seq):
    """Entry `seq` with its audit path to the latest signed tree head: {"seq", "sth", "leaf", "inclusion"}.
    409 `not_integrated` while no published head covers it yet."""
    head = sth.latest()
    if head is None or head.tree_size < seq:
        raise DomainError("not_integrated", _(
            "The log entry %(seq)s is not covered by a signed tree head yet; heads are published every few "
            "minutes: ask again later.") % {"seq": seq}, http_status=409)
    rows = list(Entry.objects.filter(seq=seq).values_list(*COLUMNS))
    if not rows:
        raise DomainError("not_found", _("The log has no entry %(seq)s.") % {"seq": seq}, http_status=404)
    [(_doc, leaf, path)] = _with_proofs(rows, head.tree_size)
    return {"seq": seq, "sth": sth.as_json(head), "leaf": leaf.decode("utf-8"), "inclusion": [h.hex() for h in path]}
