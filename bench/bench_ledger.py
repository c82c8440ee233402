"""Trading log figures (issues 2 and 15), on PostgreSQL:

- appends per second with 8 concurrent writer processes, each action one transaction, while the sequencer
  runs in a process of its own; beside a plain INSERT of the same rows by the same 8 processes, one per
  transaction, in the same run (the ratio is what the log costs over the database itself);
- commit-to-integration latency of those appends (p50, p99): from each append's commit to the moment the
  sequencer had it hashed and in the Merkle tree (LEDGER_INTEGRATION_DELAY is the bound it keeps);
- verify_ledger over 1,000,000 entries (the chain, the anchors, the tree recomputed), beside hashing the
  same bytes with hashlib.

    .venv/bin/python bench/bench_ledger.py [--writers 8] [--per-writer 2000] [--verify 1000000] [--smoke]

Runs in a throwaway database of its own (benchdb.py), emptied with TRUNCATE between the figures.
"""

import argparse
import hashlib
import io
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

import django  # noqa: E402

django.setup()

from benchdb import throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from ledger import chain, sequencer, tree  # noqa: E402
from ledger.canonical import canonical_json  # noqa: E402
from ledger.models import GENESIS_HASH, ChainHead, Entry  # noqa: E402

PAYLOAD = {"tender": "BZ-2026-0001", "bid": 12345, "sha256": "ab" * 32, "名称": "通江县某某工程"}


def writer(count, barrier, commits):
    """`count` appends, one transaction each; the commit time of each (seq, time.time()) goes to `commits`."""
    connections.close_all()
    barrier.wait()
    times = []
    for i in range(count):
        entry = chain.append_in_transaction("bench.append", region="511921", tender_ref="BZ-2026-0001",
                                            payload={**PAYLOAD, "i": i})
        times.append((entry.seq, time.time()))
    commits.put(times)
    connections.close_all()


PLAIN_SQL = ("INSERT INTO bench_plain (seq, created_at, actor_id, actor_name, role, region_code, tender_ref, action, "
             "payload) VALUES (nextval('bench_plain_seq'), %s, NULL, 'system', '', '511921', 'BZ-2026-0001', "
             "'bench.append', %s)")


def plain_writer(count, barrier):
    """The same rows, one plain INSERT per transaction (autocommit), into a table of the same shape."""
    connections.close_all()
    barrier.wait()
    with connection.cursor() as cursor:
        for i in range(count):
            cursor.execute(PLAIN_SQL, [timezone.now(), canonical_json({**PAYLOAD, "i": i}).decode()])
    connections.close_all()


def run_sequencer(stop, integrated):
    """The sequencer as deployed (ledger.sequencer.run_forever), reporting when each size was reached."""
    connections.close_all()
    marks = []
    sequencer.run_forever(stop, lambda size, _seconds: marks.append((size, time.time())))
    marks.append((sequencer.integrate(), time.time()))
    integrated.put(marks)
    connections.close_all()


def run_processes(target, writers, per_writer, *extra):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(writers + 1)
    procs = [ctx.Process(target=target, args=(per_writer, barrier, *extra)) for _ in range(writers)]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    return procs, start


def latencies(commit_lists, marks):
    """Seconds from each entry's commit to the first report of a size that covers it."""
    marks = sorted(marks)
    out = []
    for times in commit_lists:
        for seq, committed in times:
            done = next(t for size, t in marks if size >= seq)
            out.append(max(0.0, done - committed))
    return sorted(out)


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


def hashlib_rate(docs):
    start = time.perf_counter()
    prev = GENESIS_HASH
    for doc in docs:
        prev = hashlib.sha256(prev.encode() + canonical_json(doc)).hexdigest()
    return len(docs) / (time.perf_counter() - start)


def sample_docs(n):
    now = timezone.now()
    return [chain.entry_document(seq=i, created_at=now, actor_id=None, actor_name="system", role="",
                                 region_code="511921", tender_ref="BZ-2026-0001", action="bench.append",
                                 payload_text=canonical_json({**PAYLOAD, "i": i}).decode()) for i in range(1, n + 1)]


def bulk_chain(n):
    """Write n valid entries fast (bench data only: real appends go through chain.append)."""
    prev, batch, now = GENESIS_HASH, [], timezone.now()
    for seq in range(1, n + 1):
        payload = canonical_json({**PAYLOAD, "i": seq}).decode()
        doc = chain.entry_document(seq=seq, created_at=now, actor_id=None, actor_name="system", role="",
                                   region_code="511921", tender_ref="BZ-2026-0001", action="bench.append",
                                   payload_text=payload)
        digest = chain.entry_hash(prev, doc)
        batch.append(Entry(seq=seq, created_at=now, actor_name="system", role="", region_code="511921",
                           tender_ref="BZ-2026-0001", action="bench.append", payload=payload, prev_hash=prev,
                           hash=digest))
        prev = digest
        if len(batch) == 5000:
            Entry.objects.bulk_create(batch)
            batch = []
            print(f"  wrote {seq} entries", flush=True)
    Entry.objects.bulk_create(batch)
    ChainHead.objects.update_or_create(pk=1, defaults={"seq": n, "hash": prev})
    sequencer.restart_numbering()


def append_figures(writers, per_writer):
    ctx = multiprocessing.get_context("fork")
    connections.close_all()
    commits, integrated, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    runner = ctx.Process(target=run_sequencer, args=(stop, integrated))
    runner.start()
    procs, start = run_processes(writer, writers, per_writer, commits)
    commit_lists = [commits.get() for _ in procs]
    for p in procs:
        p.join()
    append_s = time.perf_counter() - start
    time.sleep(sequencer.delay() * 1.5)  # let the sequencer catch up as it would, then stop it
    stop.set()
    marks = integrated.get()
    runner.join()
    total = writers * per_writer
    result = chain.verify(integrate_first=False)
    assert result.ok and result.count == total and result.pending == 0, result
    assert tree.integrated_size() == total
    lat = latencies(commit_lists, marks)

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_plain (LIKE ledger_entry INCLUDING DEFAULTS INCLUDING INDEXES)")
        cursor.execute("CREATE SEQUENCE bench_plain_seq")
    connections.close_all()
    procs, start = run_processes(plain_writer, writers, per_writer)
    for p in procs:
        p.join()
    plain_s = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_plain")
        assert cursor.fetchone()[0] == total
        cursor.execute("DROP TABLE bench_plain; DROP SEQUENCE bench_plain_seq")
    return total, total / append_s, total / plain_s, lat


def verify_figures(n):
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ledger_entry, ledger_chainhead, ledger_tile, ledger_treestate")
    print(f"writing {n:,} entries for the verify run…", flush=True)
    bulk_chain(n)
    print("integrating them into the tree…", flush=True)
    tree.integrate()
    start = time.perf_counter()
    out = io.StringIO()
    call_command("verify_ledger", stdout=out, stderr=io.StringIO())
    verify_s = time.perf_counter() - start
    assert out.getvalue().startswith(f"ledger ok: {n} entries"), out.getvalue()
    docs = sample_docs(min(n, 200_000))
    data = [canonical_json(d) for d in docs]
    start = time.perf_counter()
    prev = GENESIS_HASH
    for blob in data:  # the chain's hashing alone, over the same bytes
        prev = hashlib.sha256(prev.encode() + blob).hexdigest()
    hash_s = (time.perf_counter() - start) * n / len(data)
    return n / verify_s, n / hash_s


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=2000)
    parser.add_argument("--verify", type=int, default=1_000_000, help="entries written for the verify figure")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the benchmark still run?")
    args = parser.parse_args(argv)
    if args.smoke:
        args.writers, args.per_writer, args.verify = 2, 20, 2_000
    print(f"database: {connection.vendor}; LEDGER_INTEGRATION_DELAY = {settings.LEDGER_INTEGRATION_DELAY:g} s")
    with throwaway_database("ledger"):
        total, append_rate, plain_rate, lat = append_figures(args.writers, args.per_writer)
        verify_rate, hash_rate = verify_figures(args.verify)
        print()
        print(f"{'figure':<52}{'rate/s':>12}{'engine/s':>12}{'ratio':>8}")
        print(f"{f'append, {args.writers} writer processes, {total} entries':<52}{append_rate:>12,.0f}"
              f"{plain_rate:>12,.0f}{append_rate / plain_rate:>8.3f}   (engine: plain INSERT, same rows)")
        print(f"{f'verify_ledger, {args.verify:,} entries':<52}{verify_rate:>12,.0f}{hash_rate:>12,.0f}"
              f"{verify_rate / hash_rate:>8.3f}   (engine: hashlib over the same bytes)")
        print(f"commit to integration: p50 {percentile(lat, 50) * 1000:,.0f} ms, p99 {percentile(lat, 99) * 1000:,.0f} ms,"
              f" max {lat[-1] * 1000:,.0f} ms over {len(lat)} entries")


if __name__ == "__main__":
    main()
