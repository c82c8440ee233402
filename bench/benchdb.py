"""The throwaway database of a benchmark: never the user's data.

`with throwaway_database("ledger"):` points Django at a database of the benchmark's own, migrated, and
drops it afterwards, whatever happens:

- on PostgreSQL, `bench_ledger_<pid>`, copied (CREATE DATABASE … TEMPLATE) from a migrated template that
  is kept between runs and named after the migrations it holds, so that six benchmarks do not migrate six
  times; the configured database is used only to issue CREATE/DROP DATABASE. Like the test suite's, the
  database says `ledger.allow_truncate = on`, so a benchmark may empty the trading log between its
  figures; the user's database never says so (ledger migration 0002);
- otherwise, a SQLite file in a temporary folder, through the test-database machinery.

The process id in the name keeps a concurrent test run (test_<NAME>) or benchmark undisturbed.
"""

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections
from django.test.utils import setup_databases, teardown_databases

ROOT = Path(__file__).resolve().parent.parent


def _use(name):
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def _template_name():
    """Named after every migration and the pinned packages (their migrations): a change makes a new one."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")) + [ROOT / "requirements.txt"]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return f"bench_template_{digest.hexdigest()[:16]}"


def _database_exists(cursor, name):
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _ensure_template(maintenance):
    template = _template_name()
    with connection.cursor() as cursor:
        if _database_exists(cursor, template):
            return template
        building = f"{template}_new_{os.getpid()}"
        cursor.execute(f'CREATE DATABASE "{building}"')
    print(f"migrating the benchmarks' template database {template} (once per set of migrations)…", flush=True)
    try:
        _use(building)
        call_command("migrate", verbosity=0, interactive=False)
    finally:
        _use(maintenance)
    with connection.cursor() as cursor:
        try:
            cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        except DatabaseError:  # a concurrent run published the same template first
            cursor.execute(f'DROP DATABASE "{building}"')
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_template\\_%%' AND datname <> %s",
                       [template])
        for (stale,) in cursor.fetchall():
            cursor.execute(f'DROP DATABASE IF EXISTS "{stale}"')
    return template


@contextlib.contextmanager
def _postgresql(name):
    maintenance = connection.settings_dict["NAME"]
    database = f"bench_{name}_{os.getpid()}"
    template = _ensure_template(maintenance)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        cursor.execute(f'ALTER DATABASE "{database}" SET ledger.allow_truncate = on')
    try:
        _use(database)
        yield database
    finally:
        _use(maintenance)
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connections.close_all()


@contextlib.contextmanager
def _sqlite(name, folder):
    test = settings.DATABASES["default"].setdefault("TEST", {})
    test["NAME"] = str(Path(folder or tempfile.gettempdir()) / f"bench_{name}_{os.getpid()}.sqlite3")
    old = setup_databases(verbosity=0, interactive=False)
    try:
        yield test["NAME"]
    finally:
        connections.close_all()
        teardown_databases(old, verbosity=0)


def throwaway_database(name, folder=None):
    """A context manager: the benchmark's own database, as described above; yields its name."""
    settings.DEBUG = False  # no query log in the timed parts
    return _postgresql(name) if connection.vendor == "postgresql" else _sqlite(name, folder)
