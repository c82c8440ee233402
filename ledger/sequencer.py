"""The sequencer: numbers are taken by the action, hashing and the tree are done here, in batches
(docs/trading-log.md, "Sequencing").

An action's transaction writes its entry with the next number of the log and no hash (`chain.append`):
nothing serializes appends but the number itself, which PostgreSQL hands out from a sequence without a
lock held to commit. One sequencer at a time (the chain head row is its lock; a second one skips) then
hashes the committed entries after the head, in order, many per transaction, and the tree integrates
them (`tree.integrate`). A crash anywhere leaves either the entries unhashed (the next run hashes them)
or the batch committed: nothing committed is lost and nothing is hashed twice.

A number taken by a transaction that rolled back leaves a hole in PostgreSQL's sequence. The log must
not stop there: once the entry after the hole is older than LEDGER_VOID_GRACE seconds, the hole's
transaction took its number (and wrote its row, in the same INSERT) about that long ago or more, so the
sequencer writes a `ledger.void` entry in its place (if that transaction is still open and holds the row,
the insert waits a moment, gives up, and the next run tries again).
"""

import hashlib
import logging
import threading
import time

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from .canonical import canonical_json
from .models import ChainHead, Entry

logger = logging.getLogger(__name__)

SEQUENCE = "ledger_entry_seq"
VOID_ACTION = "ledger.void"
_COLUMNS = "seq, {time}, actor_id, actor_name, role, region_code, tender_ref, action, payload, prev_hash, hash"


class SequencerError(RuntimeError):
    """A pending entry cannot be hashed as it is: the log must not grow over it (verify_ledger tells why)."""

    def __init__(self, seq, reason):
        super().__init__(f"entry {seq}: {reason}")
        self.seq, self.reason = seq, reason


def delay():
    """The longest wait from an entry's commit to its integration, in seconds (LEDGER_INTEGRATION_DELAY)."""
    return float(getattr(settings, "LEDGER_INTEGRATION_DELAY", 1.0))


def void_grace():
    return float(getattr(settings, "LEDGER_VOID_GRACE", 5.0))


_INSERT = ("INSERT INTO ledger_entry (seq, created_at, actor_id, actor_name, role, region_code, tender_ref, action, "
           "payload) VALUES ({seq}, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING seq")


def insert(entry):
    """Write `entry` (unsaved, no seq, no hashes) with the log's next number, inside the caller's transaction.
    PostgreSQL: the number comes from the sequence in the INSERT itself (no lock held to commit; a rollback
    leaves a hole, see above). SQLite: a transaction holds the database's only write lock from its start
    (IMMEDIATE), so the highest number plus one is free and stays so."""
    seq = f"nextval('{SEQUENCE}')" if connection.vendor == "postgresql" else \
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM ledger_entry)"
    values = [connection.ops.adapt_datetimefield_value(entry.created_at), entry.actor_id, entry.actor_name,
              entry.role, entry.region_code, entry.tender_ref, entry.action, entry.payload]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT.format(seq=seq), values)
        entry.seq = cursor.fetchone()[0]
    entry._state.adding, entry._state.db = False, connection.alias
    # As Model.save() would: receivers of the log's entries (trading.apps) hear of every one.
    post_save.send(sender=Entry, instance=entry, created=True, update_fields=None, raw=False,
                   using=connection.alias)
    return entry


def restart_numbering():
    """PostgreSQL: the sequence continues after the highest entry (after entries were written with their
    numbers by hand, e.g. restored or generated for a benchmark, or a test database emptied)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(%s, COALESCE((SELECT MAX(seq) FROM ledger_entry), 0) + 1, false)", [SEQUENCE])


def _pending(after, limit):
    time_column = "CAST(created_at AS TEXT)" if connection.vendor == "sqlite" else "created_at"
    sql = (f"SELECT {_COLUMNS.format(time=time_column)} FROM ledger_entry "  # noqa: S608 - fixed names only
           "WHERE seq > %s ORDER BY seq LIMIT %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [after, limit])
        return cursor.fetchall()


def _void(seq, prev_hash, now):
    """Write a `ledger.void` entry, hashed, at the hole `seq`; False if its transaction may still be open."""
    from .chain import entry_document, entry_hash

    payload = canonical_json({"reason": "rolled_back"}).decode()
    document = entry_document(seq=seq, created_at=now, actor_id=None, actor_name="system", role="system",
                              region_code="", tender_ref="", action=VOID_ACTION, payload_text=payload)
    digest = entry_hash(prev_hash, document)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '50ms'")
            Entry.objects.create(seq=seq, created_at=now, actor_name="system", role="system", action=VOID_ACTION,
                                 payload=payload, prev_hash=prev_hash, hash=digest)
            cursor.execute("SET LOCAL lock_timeout = 0")
    except (IntegrityError, OperationalError):
        # Committed meanwhile (its row is there now: the next run hashes it), or still open (lock timeout).
        return None
    logger.warning("trading log: number %s was taken by a transaction that rolled back; logged as void", seq)
    return digest


def _write(updates):
    if not updates:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ",".join(["(%s::bigint, %s, %s)"] * len(updates))
            cursor.execute(f"UPDATE ledger_entry AS e SET prev_hash = v.p, hash = v.h FROM (VALUES {values}) "  # noqa: S608
                           "AS v(seq, p, h) WHERE e.seq = v.seq AND e.hash IS NULL",
                           [x for row in updates for x in row])
            written = cursor.rowcount
        else:
            cursor.executemany("UPDATE ledger_entry SET prev_hash = %s, hash = %s WHERE seq = %s AND hash IS NULL",
                               [(p, h, s) for s, p, h in updates])
            written = len(updates)  # executemany's rowcount is not reliable on every driver
    if written != len(updates):
        raise SequencerError(updates[0][0], "an entry was hashed by someone else meanwhile")


def _locked_head():
    """The chain head, locked for this sequencer; None when another sequencer holds it."""
    ChainHead.objects.get_or_create(pk=1)
    query = ChainHead.objects.filter(pk=1)
    if connection.vendor == "postgresql":
        query = query.select_for_update(skip_locked=True)
    return query.first()


def hash_pending(batch=5000, now=None, before_commit=None):
    """Hash the committed entries after the chain head, in order, `batch` per transaction. Returns how many
    were hashed (0 if none, or if another sequencer is at work). When the tree is at the chain head (the
    usual case), the same transaction integrates the entries into the tree from the bytes just hashed.
    `before_commit(first, last)` is told of each batch written, before its transaction commits (progress;
    the crash tests stop the process there)."""
    from . import tree
    from .chain import _Malformed, stored_bytes

    total = 0
    while True:
        with transaction.atomic():
            head = _locked_head()
            if head is None:
                return total
            rows = _pending(head.seq, batch)
            if not rows:
                return total
            state = tree.locked_state()
            # Behind (a tree rebuilt, or integrated by an older release): tree.integrate catches up instead.
            growth = tree.Growth(state) if (state.size, state.last_hash) == (head.seq, head.hash) else None
            expected, prev, updates = head.seq + 1, head.hash, []
            for row in rows:
                seq = row[0]
                while seq > expected:  # a hole: see the module's docstring
                    digest = _fill_hole(expected, prev, row, now)
                    if digest is None:
                        break
                    prev, expected, total, growth = digest, expected + 1, total + 1, None
                if seq != expected:
                    break
                if row[-1] is not None or row[-2] is not None:
                    raise SequencerError(seq, "the entry after the chain head is already hashed")
                try:
                    document = stored_bytes((*row[:-2], "", ""))
                except (_Malformed, TypeError, ValueError) as exc:
                    raise SequencerError(seq, str(exc)) from None
                digest = hashlib.sha256(prev.encode("ascii") + document).hexdigest()
                updates.append((seq, prev, digest))
                if growth is not None:
                    growth.add(document)
                prev, expected = digest, expected + 1
            _write(updates)
            if before_commit and expected - 1 != head.seq:
                before_commit(head.seq + 1, expected - 1)
            if expected - 1 != head.seq:
                _announce(head.seq, expected - 1)
                head.seq, head.hash = expected - 1, prev
                head.save(update_fields=["seq", "hash"])
                if growth is not None:
                    growth.save(head.seq, head.hash)
            total += len(updates)
        if len(rows) < batch or not updates:
            return total


def _announce(after, upto):
    """The log's watchers (live consoles, the statistics screen) hear of the entries after `after` up to
    `upto`, hashed in this transaction, once it commits."""
    from realtime.events import ENTRY_FIELDS, send_ledger_entries

    send_ledger_entries(Entry.objects.filter(seq__gt=after, seq__lte=upto).order_by("seq").values_list(*ENTRY_FIELDS))


def _fill_hole(seq, prev, next_row, now):
    if connection.vendor != "postgresql":
        return None  # SQLite numbers have no holes (allocate)
    now = now or timezone.now()
    created = next_row[1]
    if (now - created).total_seconds() < void_grace():
        return None
    return _void(seq, prev, now)


def integrate():
    """Hash what was committed, then extend the tree over it. Returns the integrated size."""
    from . import tree

    hash_pending()
    return tree.integrate(hash_first=False)


def unhashed_count():
    """Entries committed and not yet hashed: those after the chain head, which the sequencer hashes in order
    (an index range on the number; the hash column has no index to find its empty values by)."""
    head = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    return Entry.objects.filter(seq__gt=head).count()


# --- Running it ------------------------------------------------------------------------------------

_wake = threading.Event()


def wake():
    """Called after an append commits: the in-process sequencer (if any) runs now rather than later."""
    _wake.set()


BUSY_PAUSE = 0.05  # seconds between passes while entries keep coming


def run_forever(stop=None, report=None):
    """Integrate, then wait at most a quarter of the delay (or until woken) and again: an entry waits at
    most about LEDGER_INTEGRATION_DELAY from its commit. `stop` is a threading.Event."""
    from django.db import close_old_connections

    stop = stop or threading.Event()
    size = None
    while not stop.is_set():
        started, before = time.monotonic(), size
        try:
            close_old_connections()
            size = integrate()
            if report:
                report(size, time.monotonic() - started)
        except Exception:  # keep the log moving: a failure is logged and retried
            logger.exception("trading log sequencer failed")
            stop.wait(delay())
        # While entries keep coming (the last pass found some), the next pass starts soon: waiting a quarter
        # of the delay after every pass made entries wait most of the delay under load.
        _wake.wait(min(BUSY_PAUSE, delay() / 4) if before is not None and size != before else delay() / 4)
        _wake.clear()


def start_in_process():
    """A daemon thread of the ASGI process runs the sequencer (the embedded default)."""
    thread = threading.Thread(target=run_forever, name="ledger-sequencer", daemon=True)
    thread.start()
    return thread
