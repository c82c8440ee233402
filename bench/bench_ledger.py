"""Trading log figures (issue 2), on PostgreSQL:

- append rate with 8 concurrent writer processes (entries/s), beside plain hashlib.sha256 over the
  same canonical bytes in the same run;
- verify rate over 100,000 entries (entries/s), beside the same hashlib figure.

    .venv/bin/python bench/bench_ledger.py [--writers 8] [--per-writer 250] [--verify 100000] [--smoke]

Runs in a throwaway database of its own (benchdb.py), emptied with TRUNCATE between the two figures.
"""

import argparse
import hashlib
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
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from ledger import chain  # noqa: E402
from ledger.canonical import canonical_json  # noqa: E402
from ledger.models import GENESIS_HASH, ChainHead, Entry  # noqa: E402

PAYLOAD = {"tender": "BZ-2026-0001", "bid": 12345, "sha256": "ab" * 32, "名称": "通江县某某工程"}


def writer(count, barrier):
    connections.close_all()
    barrier.wait()
    for i in range(count):
        chain.append_in_transaction("bench.append", region="511921", tender_ref="BZ-2026-0001",
                                    payload={**PAYLOAD, "i": i})
    connections.close_all()


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=250)
    parser.add_argument("--verify", type=int, default=100_000, help="entries written for the verify figure")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the benchmark still run?")
    args = parser.parse_args(argv)
    if args.smoke:
        args.writers, args.per_writer, args.verify = 2, 20, 2_000
    writers, verify_n = args.writers, args.verify
    print(f"database: {connection.vendor}")
    with throwaway_database("ledger"):
        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(writers + 1)
        procs = [ctx.Process(target=writer, args=(args.per_writer, barrier)) for _ in range(writers)]
        for p in procs:
            p.start()
        barrier.wait()
        start = time.perf_counter()
        for p in procs:
            p.join()
        append_s = time.perf_counter() - start
        total = writers * args.per_writer
        result = chain.verify()
        assert result.ok and result.count == total, result
        append_rate = total / append_s
        base = hashlib_rate(sample_docs(total))

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE ledger_entry" if connection.vendor == "postgresql" else "DELETE FROM ledger_entry")
        print(f"writing {verify_n} entries for the verify run…", flush=True)
        bulk_chain(verify_n)
        start = time.perf_counter()
        result = chain.verify(progress=lambda n: print(f"  verified {n}", flush=True) if n % 25000 == 0 else None)
        verify_s = time.perf_counter() - start
        assert result.ok and result.count == verify_n, result
        verify_rate = verify_n / verify_s
        base_v = hashlib_rate(sample_docs(min(verify_n, 20_000)))

        print()
        print(f"{'figure':<46}{'rate/s':>12}{'hashlib/s':>12}{'ratio':>8}")
        print(f"{f'append, {writers} writer processes, {total} entries':<46}{append_rate:>12,.0f}{base:>12,.0f}"
              f"{append_rate / base:>8.4f}")
        print(f"{f'verify, {verify_n:,} entries':<46}{verify_rate:>12,.0f}{base_v:>12,.0f}{verify_rate / base_v:>8.3f}")


if __name__ == "__main__":
    main()
