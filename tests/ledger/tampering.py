"""Tampering with the stored log as an administrator with raw SQL would, and reading verify_ledger."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

ON_POSTGRES = connection.vendor == "postgresql"
# The triggers exist on PostgreSQL only; .ci/run's first pass runs these tests there.
POSTGRES_ONLY = pytest.mark.skipif(not ON_POSTGRES, reason="the ledger triggers exist on PostgreSQL (first pass of .ci/run)")
# PostgreSQL's timestamptz column cannot hold a malformed time at all; SQLite stores it as text.
SQLITE_ONLY = pytest.mark.skipif(ON_POSTGRES, reason="only SQLite stores a time as free text (second pass of .ci/run)")


def raw_sql(sql, params=()):
    """Tamper as an administrator with raw SQL would. On PostgreSQL the append-only trigger must be
    switched off first (only a superuser can): the chain must catch what the trigger cannot."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks block ALTER TABLE
            cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER USER")


def verify_output():
    """(exit code, stdout) of `manage.py verify_ledger`, which must fail."""
    out = StringIO()
    with pytest.raises(SystemExit) as info:
        call_command("verify_ledger", stdout=out, stderr=StringIO())
    return info.value.code, out.getvalue()
