"""The sequencer (ledger/sequencer.py): an action's transaction writes its entry with a number and no hash;
the sequencer hashes committed entries in order, in batches. Nothing committed is lost, nothing rolled
back is logged, nothing is hashed twice, and appends do not wait for one another's commit."""

import multiprocessing
import os
import signal
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from ledger import chain, sequencer, tree
from ledger.models import ChainHead, Entry
from ledger.queries import newest_seq

POSTGRES_ONLY = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="PostgreSQL numbers from a sequence; SQLite has one writer at a time "
                                          "and no holes (first pass of .ci/run)")


def _append(n, start=0):
    return [chain.append_in_transaction("test.action", region="511921", payload={"i": start + i})
            for i in range(n)]


def _hashes():
    return list(Entry.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))


def test_an_append_writes_its_entry_unhashed_and_the_sequencer_hashes_it_once(db):
    entries = _append(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [(e.prev_hash, e.hash) for e in Entry.objects.order_by("seq")] == [(None, None)] * 3
    assert chain.head() == (0, chain.GENESIS_HASH)
    assert sequencer.unhashed_count() == 3

    assert sequencer.hash_pending() == 3
    rows = _hashes()
    assert rows[0][1] == chain.GENESIS_HASH and rows[1][1] == rows[0][2] and rows[2][1] == rows[1][2]
    assert chain.head() == (3, rows[2][2])
    assert sequencer.hash_pending() == 0  # nothing twice
    assert _hashes() == rows
    result = chain.verify(integrate_first=False)
    assert (result.ok, result.count, result.pending) == (True, 3, 0)


def test_batches_hash_the_same_chain_as_one_pass(db):
    _append(23)
    sequencer.hash_pending(batch=5)
    small = _hashes()
    assert chain.head()[0] == 23
    # The same entries hashed in one pass give the same chain: recompute from the documents.
    prev = chain.GENESIS_HASH
    for entry in Entry.objects.order_by("seq"):
        doc = chain.entry_document(seq=entry.seq, created_at=entry.created_at, actor_id=None, actor_name="system",
                                   role="", region_code="511921", tender_ref="", action="test.action",
                                   payload_text=entry.payload)
        prev = chain.entry_hash(prev, doc)
        assert small[entry.seq - 1][2] == prev


def test_the_tree_integrates_what_the_sequencer_hashed(db):
    _append(5)
    assert sequencer.integrate() == 5  # hashed, then in the tree
    _append(2, start=5)
    assert tree.integrate() == 7  # the tree asks the sequencer first


def test_verify_counts_entries_not_yet_hashed_and_verify_ledger_integrates_them(db, capsys):
    _append(2)
    sequencer.hash_pending()
    _append(3, start=2)
    result = chain.verify(integrate_first=False)
    assert (result.ok, result.count, result.pending) == (True, 2, 3)
    call_command("verify_ledger")
    assert capsys.readouterr().out.startswith("ledger ok: 5 entries")


def test_a_hashed_entry_after_an_unhashed_one_is_reported(db):
    from tests.ledger.tampering import raw_sql

    _append(3)
    sequencer.hash_pending()
    _append(2, start=3)
    raw_sql("UPDATE ledger_entry SET prev_hash = %s, hash = %s WHERE seq = 5", ["0" * 64, "1" * 64])
    result = chain.verify(integrate_first=False)
    assert (result.ok, result.bad_seq) == (False, 5)


@POSTGRES_ONLY
def test_the_trigger_allows_only_the_sequencer_s_update(db):
    from django.db import InternalError

    _append(2)
    with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_entry SET payload = '{}', prev_hash = %s, hash = %s WHERE seq = 1",
                       ["0" * 64, "1" * 64])  # a hash with another payload: not the sequencer's update
    sequencer.hash_pending()
    with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_entry SET hash = %s WHERE seq = 1", ["2" * 64])  # a second hashing
    assert chain.verify(integrate_first=False).ok


def test_an_entry_rolled_back_with_its_action_is_never_logged(db):
    _append(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        chain.append("test.action", payload={"x": 1})
        raise RuntimeError("the action failed after logging")
    _append(1, start=1)
    assert not Entry.objects.filter(payload='{"x":1}').exists()
    if connection.vendor == "sqlite":
        assert sequencer.hash_pending() == 2  # its number was free again: no hole
        assert list(Entry.objects.values_list("seq", flat=True)) == [1, 2]


@POSTGRES_ONLY
def test_a_hole_left_by_a_rollback_holds_the_log_until_the_grace_then_is_logged_as_void(db, settings):
    _append(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        chain.append("test.action", payload={"x": 1})  # takes number 2, then rolls back
        raise RuntimeError("the action failed after logging")
    _append(1, start=1)  # number 3
    settings.LEDGER_VOID_GRACE = 3600
    assert sequencer.hash_pending() == 1
    assert chain.head()[0] == 1
    assert newest_seq() == 1  # the live tail does not read past the hole
    settings.LEDGER_VOID_GRACE = 0
    assert sequencer.hash_pending() == 2
    void = Entry.objects.get(seq=2)
    assert (void.action, void.actor_name, void.payload) == ("ledger.void", "system", '{"reason":"rolled_back"}')
    assert chain.head()[0] == 3 and newest_seq() == 3
    assert chain.verify(integrate_first=False).ok


def _hold_an_entry_open(started, release, seqs):
    """Another connection: append an entry and keep the transaction open until `release`."""
    try:
        with transaction.atomic():
            seqs.append(chain.append("test.held", region="511921").seq)
            started.set()
            release.wait(30)
    finally:
        connections.close_all()


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_appends_do_not_wait_for_an_open_transaction_and_the_sequencer_waits_for_its_entry(settings):
    settings.LEDGER_VOID_GRACE = 0  # would void at once, were the hole not held by a live transaction
    started, release, seqs = threading.Event(), threading.Event(), []
    holder = threading.Thread(target=_hold_an_entry_open, args=(started, release, seqs))
    holder.start()
    try:
        assert started.wait(10)
        done = threading.Event()

        def other():
            _append(2)  # the old design waited here for the holder's commit (one row lock for all appends)
            connections.close_all()
            done.set()

        threading.Thread(target=other).start()
        assert done.wait(10), "an append waited for another transaction's commit"
        assert sequencer.hash_pending() == 0  # the held number comes first: the sequencer waits for it
        assert not Entry.objects.filter(action="ledger.void").exists()
        assert newest_seq() == 0
    finally:
        release.set()
        holder.join(10)
    assert sequencer.hash_pending() == 3
    assert list(Entry.objects.order_by("seq").values_list("action", flat=True)) == \
        ["test.held", "test.action", "test.action"]
    assert seqs == [1] and chain.verify(integrate_first=False).ok


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_second_sequencer_skips_while_one_works():
    _append(2)
    ChainHead.objects.get_or_create(pk=1)
    with transaction.atomic():
        assert sequencer._locked_head() is not None  # this connection now holds the head row
        result = []
        thread = threading.Thread(target=lambda: (result.append(sequencer.hash_pending()), connections.close_all()))
        thread.start()
        thread.join(10)
        assert result == [0]
    assert sequencer.hash_pending() == 2


# --- Crashes: real processes, killed -------------------------------------------------------------------

def _in_child(target, *args):
    """Run `target` in a forked process on this test's database and wait for it to end; returns its signal."""
    connections.close_all()
    process = multiprocessing.get_context("fork").Process(target=target, args=args)
    process.start()
    process.join(60)
    if process.is_alive():  # it must not outlive the test, holding the database
        process.kill()
        process.join()
    return process.exitcode


def _append_and_die(n):
    connections.close_all()
    _append(n)  # each committed
    os.kill(os.getpid(), signal.SIGKILL)  # before any sequencer ran


def _integrate_and_die_in_batch(batch, die_in):
    connections.close_all()
    calls = []

    def before_commit(first, last):
        calls.append((first, last))
        if len(calls) == die_in:
            os.kill(os.getpid(), signal.SIGKILL)  # inside the batch's transaction, before its commit

    sequencer.hash_pending(batch=batch, before_commit=before_commit)


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_commit_and_integration_loses_nothing_and_integrates_once():
    assert _in_child(_append_and_die, 12) == -signal.SIGKILL
    assert Entry.objects.count() == 12 and sequencer.unhashed_count() == 12  # committed, not integrated

    assert _in_child(_integrate_and_die_in_batch, 5, 2) == -signal.SIGKILL
    assert chain.head()[0] == 5  # the first batch committed; the second died with its transaction
    assert list(Entry.objects.filter(hash__isnull=False).values_list("seq", flat=True)) == [1, 2, 3, 4, 5]
    first = _hashes()[:5]

    assert sequencer.integrate() == 12  # the restart integrates the rest
    assert _hashes()[:5] == first  # and nothing twice
    assert sequencer.integrate() == 12 and sequencer.unhashed_count() == 0
    result = chain.verify(integrate_first=False)
    assert (result.ok, result.count) == (True, 12)


def _writer(n, start):
    connections.close_all()
    _append(n, start=start)
    connections.close_all()


def _sequencer_until(total, seconds=100):
    """As the sequencer's own loop does, it waits a little between passes: on SQLite a pass takes the write
    lock, and one taken back to back starved the writers (their 30-second busy timeout ran out under load,
    so the total was never reached, and this process spun on, holding the lock, for the rest of the run)."""
    connections.close_all()
    deadline = time.monotonic() + seconds
    while sequencer.integrate() < total:
        if time.monotonic() > deadline:
            os._exit(3)
        time.sleep(0.01)
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_writers_and_a_sequencer_in_separate_processes_make_one_contiguous_chain():
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=_writer, args=(25, 100 * k)) for k in range(4)]
    runner = ctx.Process(target=_sequencer_until, args=(100,))
    try:
        for p in [*writers, runner]:
            p.start()
        for p in [*writers, runner]:
            p.join(120)
        assert [p.exitcode for p in [*writers, runner]] == [0] * 5
    finally:
        for p in [*writers, runner]:
            if p.is_alive():
                p.kill()
                p.join()
    assert list(Entry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 101))
    assert sorted(int(p.split(":")[1].rstrip("}")) for p in Entry.objects.values_list("payload", flat=True)) == \
        sorted(100 * k + i for k in range(4) for i in range(25))
    result = chain.verify(integrate_first=False)
    assert (result.ok, result.count, result.pending) == (True, 100, 0)
    assert tree.integrated_size() == 100


def test_the_console_shows_the_delay_and_how_many_entries_wait(client, city_regulator, settings):
    settings.LEDGER_INTEGRATION_DELAY = 2.5
    _append(2)
    client.force_login(city_regulator)
    page = client.get("/ledger/")
    status = page.content.decode().split('id="integration-status">')[1].split("</p>")[0]
    waiting = sequencer.unhashed_count()
    assert waiting >= 2 and page.context["pending"] == waiting
    assert "在操作后 2.5 秒内计算哈希并加入默克尔树" in status and f"尚有 {waiting} 条记录未并入" in status
    sequencer.hash_pending()
    status = client.get("/ledger/").content.decode().split('id="integration-status">')[1]
    assert "未并入" not in status.split("</p>")[0]


def test_the_sequencer_passes_again_soon_while_entries_keep_coming_and_waits_when_idle(monkeypatch, settings):
    """The pause after a pass: short while the last pass found entries (under load, a quarter of the delay
    after every pass made entries wait most of the delay), a quarter of the delay when idle."""
    settings.LEDGER_INTEGRATION_DELAY = 2.0
    sizes, pauses, stop = iter([0, 5, 9, 9, 12]), [], threading.Event()

    def integrate():
        size = next(sizes, None)
        if size is None:
            stop.set()
            return 12
        return size

    def wait(timeout):
        pauses.append(timeout)
        return False

    monkeypatch.setattr(sequencer, "integrate", integrate)
    monkeypatch.setattr(sequencer._wake, "wait", wait)
    sequencer.run_forever(stop)
    # first pass: nothing to compare with; then 0→5 and 5→9 busy, 9→9 idle, 9→12 busy.
    assert pauses[:5] == [0.5, sequencer.BUSY_PAUSE, sequencer.BUSY_PAUSE, 0.5, sequencer.BUSY_PAUSE]
