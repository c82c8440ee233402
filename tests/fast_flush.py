"""Emptying the PostgreSQL test database after each transactional test with DELETE, not TRUNCATE.

Django's TransactionTestCase empties every table after each test with `manage.py flush`, one TRUNCATE of
all ~80 tables. On PostgreSQL a TRUNCATE makes new files for every table and index: 0.9 s per test on this
machine, against 18 ms for a DELETE of the few rows a test leaves. With several hundred transactional
tests (every socket and browser test) that was minutes of the first pass of .ci/run.

The DELETEs run as a database superuser may: with `session_replication_role = replica`, so neither the
foreign keys' triggers (every table is emptied in the same transaction) nor the trading log's append-only
triggers stand in the way. Production's triggers are unchanged, and `manage.py flush` itself still goes
through them (tests/ledger). Then, as flush does, the post_migrate signal restores content types and
permissions. Where the role may not do this (not a superuser), Django's own flush runs.
"""

from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connections, transaction
from django.test import TransactionTestCase

_django_teardown = TransactionTestCase._fixture_teardown


def _delete_everything(db_name):
    connection = connections[db_name]
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    quote = connection.ops.quote_name
    try:
        with transaction.atomic(using=db_name), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("; ".join(f"DELETE FROM {quote(table)}" for table in tables))  # noqa: S608 - table names from introspection
    except DatabaseError:
        return False
    return True


def _fixture_teardown(self):
    names = self._databases_names(include_mirrors=False)
    if self.available_apps is not None or self.serialized_rollback or \
            any(connections[name].vendor != "postgresql" for name in names):
        return _django_teardown(self)
    for name in names:
        if not _delete_everything(name):
            return _django_teardown(self)
        emit_post_migrate_signal(0, False, name)
    return None


def install():
    TransactionTestCase._fixture_teardown = _fixture_teardown
