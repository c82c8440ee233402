"""Merkle tree figures (issue 15, part 1), on PostgreSQL:

- integrating N entries into the tiles (entries/s), beside hashlib.sha256 over the same leaf bytes;
- verify_ledger's tree pass (recompute every leaf, the tiles and the heads) over N entries (entries/s),
  beside hashing the same leaf bytes with hashlib, and beside the whole verify_ledger (chain + tree);
- publishing a signed tree head (ms);
- latency of the proof endpoints over the full tree (p50 / p99, ms): inclusion proofs of random entries
  in random sizes, consistency proofs between random sizes, through the views (DRF included).

    .venv/bin/python bench/bench_merkle.py [--entries 1000000] [--proofs 500] [--smoke]

Runs in a throwaway database of its own (benchdb.py).
"""

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

import django  # noqa: E402

django.setup()

from bench_ledger import bulk_chain, sample_docs  # noqa: E402
from benchdb import throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from ledger import chain, merkle, sth, tree  # noqa: E402
from ledger.canonical import canonical_json  # noqa: E402
from ledger.models import TreeHead  # noqa: E402
from ledger.views_public import ConsistencyProofView, InclusionProofView  # noqa: E402


def hashlib_leaf_rate(n):
    """hashlib.sha256 over the leaf bytes of n entries, as many as the tree pass hashes (leaves and nodes)."""
    data = [canonical_json(doc) for doc in sample_docs(min(n, 50_000))]
    start = time.perf_counter()
    compact = merkle.CompactRange()
    for d in data:
        compact.append(hashlib.sha256(b"\x00" + d).digest())
    compact.root()
    return len(data) / (time.perf_counter() - start)


def latencies(view, queries):
    factory, handler, times = RequestFactory(), view.as_view(), []
    for query in queries:
        request = factory.get("/", query)
        start = time.perf_counter()
        response = handler(request)
        response.render()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.data
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)]


def setup_seal(directory):
    from records import pki
    from records.tree_heads import register_tree_head_signer

    settings.PKI_DIR = Path(directory)
    pki.create_authority(settings.PKI_DIR)
    register_tree_head_signer()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=500, help="requests per proof kind")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the benchmark still run?")
    args = parser.parse_args(argv)
    if args.smoke:
        args.entries, args.proofs = 3_000, 20
    n = args.entries
    print(f"database: {connection.vendor}")
    rng = random.Random(15)
    with tempfile.TemporaryDirectory(prefix="bench-pki-") as pki_dir, throwaway_database("merkle"):
        setup_seal(pki_dir)
        print(f"writing {n:,} entries…", flush=True)
        bulk_chain(n)
        start = time.perf_counter()
        assert tree.integrate() == n
        integrate_rate = n / (time.perf_counter() - start)
        start = time.perf_counter()
        head = sth.publish()
        publish_ms = (time.perf_counter() - start) * 1000
        assert head.tree_size == n

        start = time.perf_counter()
        checked = tree.verify(TreeHead.objects.order_by("tree_size").iterator(), sth.signature_valid)
        tree_rate = n / (time.perf_counter() - start)
        assert checked.ok and checked.root_hash == head.root_hash, checked
        start = time.perf_counter()
        assert chain.verify().ok
        whole_rate = n / (time.perf_counter() - start + n / tree_rate)
        base = hashlib_leaf_rate(n)

        sizes = [rng.randint(1, n) for _ in range(args.proofs)]
        inclusion = latencies(InclusionProofView, [{"seq": rng.randint(1, s), "size": s} for s in sizes])
        consistency = latencies(ConsistencyProofView, [
            {"from": f, "to": t} for f, t in (sorted((rng.randint(1, n), rng.randint(1, n))) for _ in sizes)])

        print()
        print(f"{'figure':<52}{'rate/s':>12}{'hashlib/s':>12}{'ratio':>8}")
        print(f"{f'integrate into tiles, {n:,} entries':<52}{integrate_rate:>12,.0f}{base:>12,.0f}"
              f"{integrate_rate / base:>8.3f}")
        print(f"{f'verify tree and heads, {n:,} entries':<52}{tree_rate:>12,.0f}{base:>12,.0f}{tree_rate / base:>8.3f}")
        print(f"{f'verify_ledger (chain + tree), {n:,} entries':<52}{whole_rate:>12,.0f}{base:>12,.0f}"
              f"{whole_rate / base:>8.3f}")
        print()
        print(f"publish a signed tree head of {n:,} entries: {publish_ms:.1f} ms")
        print(f"{'proof endpoint (tree of ' + format(n, ',') + ' entries)':<52}{'p50 ms':>12}{'p99 ms':>12}")
        print(f"{f'inclusion, {args.proofs} random':<52}{inclusion[0]:>12.2f}{inclusion[1]:>12.2f}")
        print(f"{f'consistency, {args.proofs} random':<52}{consistency[0]:>12.2f}{consistency[1]:>12.2f}")


if __name__ == "__main__":
    main()
