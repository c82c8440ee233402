"""`make bench` stopped at bench_ledger.py: its TRUNCATE between the two figures was refused by the trading
log's trigger. Benchmarks now run in a database of their own that allows it (bench/benchdb.py), never the
user's; `.ci/run` runs every benchmark at tiny sizes (`make bench-smoke`). This proves the fixed one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="the trading log's TRUNCATE trigger exists on PostgreSQL (first pass of .ci/run)")


def _databases_like(pattern):
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [pattern])
        return sorted(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_the_ledger_benchmark_runs_in_a_throwaway_database_that_it_drops():
    process = subprocess.Popen([sys.executable, "bench/bench_ledger.py", "--smoke"], cwd=ROOT,
                               env={**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"]},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = process.communicate(timeout=600)

    assert process.returncode == 0, out
    assert "append, 2 writer processes, 40 entries" in out
    assert "verify_ledger, 2,000 entries" in out
    assert f"bench_ledger_{process.pid}" not in _databases_like("bench%")
