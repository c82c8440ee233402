"""The hash chain: appending and verifying entries (docs/architecture.md §6).

hash(n) = SHA-256( prev_hash(n) as ASCII hex ‖ canonical JSON of entry n ), where the entry is
{"seq", "time", "actor", "actor_name", "role", "region", "tender", "action", "payload"} and
"time" is UTC ISO 8601 with microseconds. The first entry's prev_hash is 64 zeros.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .anchors import first_broken_anchor
from .canonical import NotCanonical, canonical_json, parse_canonical
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


def append(action, *, actor=None, role="", region=None, tender_ref="", payload=None):
    """Write one entry, with the log's next number and no hash yet. Must run inside the caller's transaction,
    so the entry and the change it records commit or roll back together. No lock is held to commit: the
    sequencer (ledger.sequencer) hashes committed entries in order, in batches, within
    LEDGER_INTEGRATION_DELAY of their commit."""
    from . import sequencer

    if not connection.in_atomic_block:
        raise LedgerError("ledger.append must be called inside transaction.atomic()")
    payload_text = canonical_json(payload or {}).decode("utf-8")
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_name = (actor.get_username() if actor_id else "system")
    region_code = getattr(region, "code", region) or ""
    created_at = timezone.now()
    entry = Entry(created_at=created_at, actor_id=actor_id, actor_name=actor_name, role=role, region_code=region_code,
                  tender_ref=tender_ref, action=action, payload=payload_text)
    sequencer.insert(entry)
    # Watchers hear of the entry once the sequencer has hashed it (ledger.sequencer.hash_pending).
    transaction.on_commit(sequencer.wake)
    return entry


def head():
    """The last hashed entry (the sequencer's head): (seq, hash)."""
    row = ChainHead.objects.filter(pk=1).first()
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


@dataclass
class Verification:
    ok: bool
    count: int
    head_hash: str
    bad_seq: int | None = None
    reason: str = ""
    pending: int = 0


class _Malformed(ValueError):
    pass


_TEXT_COLUMNS = ("actor_name", "role", "region_code", "tender_ref", "action", "prev_hash", "hash")


def _stored_rows(chunk):
    """Every entry's columns exactly as stored, in seq order, `chunk` rows per query (keyset pages:
    bounded memory on any engine). SQLite's time is read as its text: Django's converter would turn a
    malformed one into a traceback, and only the text shows whether it is the canonical spelling."""
    table = connection.ops.quote_name(Entry._meta.db_table)
    time = "CAST(created_at AS TEXT)" if connection.vendor == "sqlite" else "created_at"
    columns = f"seq, {time}, actor_id, actor_name, role, region_code, tender_ref, action, payload, prev_hash, hash"
    sql = f"SELECT {columns} FROM {table} WHERE seq > %s ORDER BY seq LIMIT %s"  # noqa: S608 - fixed names only
    last = -(2**63)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, chunk])
            rows = cursor.fetchall()
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1][0]


def _stored_time(value):
    if isinstance(value, datetime.datetime):
        return value  # PostgreSQL: the column's type admits only valid times
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed, but no such day or hour
        parsed = None
    if parsed is None:
        raise _Malformed(_("its time “%(value)s” is not a valid time") % {"value": value})
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    # Django writes one spelling (naive UTC); another one parsing to the same instant was not written by it.
    if connection.ops.adapt_datetimefield_value(parsed) != value:
        raise _Malformed(_("its time “%(value)s” is not stored in the form the platform writes") % {"value": value})
    return parsed


def _dumps(value):
    return json.dumps(value, ensure_ascii=False)


def stored_bytes(row) -> bytes:
    """The hashed bytes of a stored row: canonical_json of its document (entry_document), written field by
    field around the stored payload text, which must be exactly its canonical spelling (checked), so it is
    neither parsed twice nor written again. _Malformed names the first column that is not exactly what
    append() writes (a forgery can hide in a spelling that parses to the same value). Equal, for every row,
    to canonical_json(entry_document(...)) (tests/ledger/test_stored_bytes.py)."""
    seq, created_at, actor_id, *texts, payload, prev_hash, digest = row
    texts = dict(zip(_TEXT_COLUMNS, [*texts, prev_hash, digest], strict=True))
    if type(seq) is not int or (actor_id is not None and type(actor_id) is not int):
        raise _Malformed(_("its sequence number or actor is not an integer"))
    for name, value in texts.items():
        if not isinstance(value, str):
            raise _Malformed(_("its column %(name)s is not text") % {"name": name})
    try:
        parse_canonical(payload)
    except NotCanonical as exc:
        raise _Malformed(_("its payload is not canonical JSON: %(why)s") % {"why": _payload_problem(exc)}) from None
    moment = _stored_time(created_at).astimezone(UTC).isoformat(timespec="microseconds")
    # The keys in canonical (sorted) order: action, actor, actor_name, payload, region, role, seq, tender, time.
    return (f'{{"action":{_dumps(texts["action"])},"actor":{"null" if actor_id is None else actor_id},'
            f'"actor_name":{_dumps(texts["actor_name"])},"payload":{payload},'
            f'"region":{_dumps(texts["region_code"])},"role":{_dumps(texts["role"])},"seq":{seq},'
            f'"tender":{_dumps(texts["tender_ref"])},"time":"{moment}"}}').encode()


def _payload_problem(exc):
    reasons = {
        "duplicate_key": _("it repeats the key %(detail)s"),
        "float": _("it holds the number %(detail)s, but only integers are written"),
        "constant": _("it holds %(detail)s, which is not a JSON number"),
        "not_text": _("it is not text"),
        "not_json": _("it is not valid JSON"),
        "not_utf8": _("it holds a character that UTF-8 cannot encode"),
        "not_canonical": _("key order, white space or escapes differ from the canonical form"),
    }
    return reasons[exc.code] % {"detail": exc.detail}


def verify(progress=None, chunk=5000, integrate_first=True, walk=None):
    """Hash what was committed (the sequencer), then walk the whole chain in order, then check every anchor
    kept outside it (ledger.anchors). Entries still unhashed after that (committed during the walk, or
    behind a number still held by an open transaction) are counted in `pending`, never before a hashed one.
    Each hashed entry's bytes also go to `walk` (a ledger.tree.Walk), if given, which recomputes the Merkle
    tree in the same read of the log; the caller then asks it to finish (its failure, if any, ranks after
    the chain's and the anchors'). Returns a Verification naming the first bad entry."""
    from . import sequencer

    if integrate_first:
        try:
            sequencer.hash_pending()
        except sequencer.SequencerError as exc:
            head_seq, head_hash = head()
            return Verification(False, head_seq, head_hash, exc.seq, exc.reason)
    prev_hash, expected_seq, count, pending = GENESIS_HASH, 1, 0, 0
    for row in _stored_rows(chunk):
        seq, p, h = row[0], row[-2], row[-1]
        if h is None and p is None:
            # Not hashed yet: nothing to check it against, but it must be what append() writes, or the
            # sequencer will refuse it (and the log will wait there).
            try:
                stored_bytes((*row[:-2], "", ""))
            except _Malformed as exc:
                return Verification(False, count, prev_hash, seq, str(exc), pending=pending)
            except (TypeError, ValueError):
                return Verification(False, count, prev_hash, seq, _("it holds a value the platform never writes"),
                                    pending=pending)
            pending += 1
            continue
        if pending:
            return Verification(False, count, prev_hash, seq,
                                _("it is hashed, but an entry before it is not"))
        if seq != expected_seq:
            return Verification(False, count, prev_hash, expected_seq,
                                _("entry %(seq)s is missing (next entry found is %(next)s)")
                                % {"seq": expected_seq, "next": seq})
        if p != prev_hash:
            return Verification(False, count, prev_hash, seq,
                                _("its previous-hash does not match the hash of the entry before it"))
        try:
            data = stored_bytes(row)
        except _Malformed as exc:
            return Verification(False, count, prev_hash, seq, str(exc))
        except (TypeError, ValueError):  # e.g. a float where an integer belongs: canonical JSON refuses it
            return Verification(False, count, prev_hash, seq, _("it holds a value the platform never writes"))
        if hashlib.sha256(p.encode("ascii") + data).hexdigest() != h:
            return Verification(False, count, prev_hash, seq, _("its content does not match its hash"))
        if walk is not None:
            walk.add(seq, data)  # it keeps its first failure for `finish`: the chain and anchors come first
        prev_hash, expected_seq, count = h, seq + 1, count + 1
        if progress and count % chunk == 0:
            progress(count)
    head_seq, head_hash = head()
    if (head_seq, head_hash) != (count, prev_hash):
        return Verification(False, count, prev_hash, count + 1 if head_seq > count else head_seq,
                            _("the chain head names entry %(head)s but the log ends at entry %(end)s")
                            % {"head": head_seq, "end": count})
    broken = first_broken_anchor(count)
    if broken is not None:
        return Verification(False, count, prev_hash, *broken)
    return Verification(True, count, prev_hash, pending=pending)


def append_in_transaction(action, **kwargs):
    """For callers with nothing else to write: one transaction around one entry."""
    with transaction.atomic():
        return append(action, **kwargs)
