"""The hash chain: appending and verifying entries (DESIGN §6).

hash(n) = SHA-256( prev_hash(n) as ASCII hex ‖ canonical JSON of entry n ), where the entry is
{"seq", "time", "actor", "actor_name", "role", "region", "tender", "action", "payload"} and
"time" is UTC ISO 8601 with microseconds. The first entry's prev_hash is 64 zeros.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone

from .canonical import canonical_json
from .models import GENESIS_HASH, ChainHead, Entry


class LedgerError(RuntimeError):
    pass


def entry_document(*, seq, created_at, actor_id, actor_name, role, region_code, tender_ref, action, payload_text):
    return {
        "seq": seq,
        "time": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "actor_name": actor_name,
        "role": role,
        "region": region_code,
        "tender": tender_ref,
        "action": action,
        "payload": json.loads(payload_text),
    }


def entry_hash(prev_hash: str, document: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(document)).hexdigest()


def _locked_head():
    # select_for_update: on PostgreSQL the row lock serializes appends from every process;
    # on SQLite the IMMEDIATE transaction mode already holds the database write lock.
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        ChainHead.objects.get_or_create(pk=1)
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def append(action, *, actor=None, role="", region=None, tender_ref="", payload=None):
    """Append one entry. Must run inside the caller's transaction, so the entry and the change
    it records commit or roll back together."""
    if not connection.in_atomic_block:
        raise LedgerError("ledger.append must be called inside transaction.atomic()")
    payload_text = canonical_json(payload or {}).decode("utf-8")
    head = _locked_head()
    seq = head.seq + 1
    created_at = timezone.now()
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_name = (actor.get_username() if actor_id else "system")
    region_code = getattr(region, "code", region) or ""
    doc = entry_document(
        seq=seq, created_at=created_at, actor_id=actor_id, actor_name=actor_name, role=role,
        region_code=region_code, tender_ref=tender_ref, action=action, payload_text=payload_text,
    )
    digest = entry_hash(head.hash, doc)
    entry = Entry.objects.create(
        seq=seq, created_at=created_at, actor_id=actor_id, actor_name=actor_name, role=role,
        region_code=region_code, tender_ref=tender_ref, action=action, payload=payload_text,
        prev_hash=head.hash, hash=digest,
    )
    head.seq, head.hash = seq, digest
    head.save(update_fields=["seq", "hash"])
    from realtime.events import send_ledger_entry

    send_ledger_entry(entry)
    return entry


def head():
    row = ChainHead.objects.filter(pk=1).first()
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


@dataclass
class Verification:
    ok: bool
    count: int
    head_hash: str
    bad_seq: int | None = None
    reason: str = ""


def verify(progress=None, chunk=5000):
    """Walk the whole chain in order. Returns a Verification naming the first bad entry."""
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    fields = ("seq", "created_at", "actor_id", "actor_name", "role", "region_code", "tender_ref",
              "action", "payload", "prev_hash", "hash")
    for row in Entry.objects.order_by("seq").values_list(*fields).iterator(chunk_size=chunk):
        seq, created_at, actor_id, actor_name, role, region_code, tender_ref, action, payload, p, h = row
        if seq != expected_seq:
            return Verification(False, count, prev_hash, expected_seq,
                                f"entry {expected_seq} is missing (next entry found is {seq})")
        if p != prev_hash:
            return Verification(False, count, prev_hash, seq,
                                "its previous-hash does not match the hash of the entry before it")
        try:
            doc = entry_document(seq=seq, created_at=created_at, actor_id=actor_id, actor_name=actor_name,
                                 role=role, region_code=region_code, tender_ref=tender_ref, action=action,
                                 payload_text=payload)
        except ValueError:
            return Verification(False, count, prev_hash, seq, "its payload is not valid JSON")
        if entry_hash(p, doc) != h:
            return Verification(False, count, prev_hash, seq, "its content does not match its hash")
        prev_hash, expected_seq, count = h, seq + 1, count + 1
        if progress and count % chunk == 0:
            progress(count)
    head_seq, head_hash = head()
    if (head_seq, head_hash) != (count, prev_hash):
        return Verification(False, count, prev_hash, count + 1 if head_seq > count else head_seq,
                            f"the chain head names entry {head_seq} but the log ends at entry {count}")
    return Verification(True, count, prev_hash)


def append_in_transaction(action, **kwargs):
    """For callers with nothing else to write: one transaction around one entry."""
    with transaction.atomic():
        return append(action, **kwargs)
