import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from ledger import chain, sequencer
from ledger.canonical import canonical_json
from ledger.models import ChainHead, Entry
from tests.ledger.tampering import POSTGRES_ONLY, SQLITE_ONLY
from tests.ledger.tampering import raw_sql as _raw
from tests.ledger.tampering import verify_output as _verify_output


@pytest.fixture(autouse=True)
def _english_messages():
    """Reasons are asserted by their English msgids (verify_ledger prints them untranslated too)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _append_n(n, region="511921"):
    """n entries, hashed by the sequencer: the forgeries below rewrite a log that was already hashed (an
    entry not yet hashed has nothing to be checked against; it is hashed within a second of its commit)."""
    for i in range(n):
        chain.append_in_transaction("test.action", region=region, payload={"i": i, "名称": "通江"})
    sequencer.hash_pending()


def test_canonical_json_is_sorted_compact_utf8_and_refuses_floats():
    assert canonical_json({"b": 1, "a": ["通江", 2]}) == '{"a":["通江",2],"b":1}'.encode()
    with pytest.raises(TypeError):
        canonical_json({"price": 1.5})


def test_entries_link_into_one_chain(db):
    _append_n(3)
    entries = list(Entry.objects.all())
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == "0" * 64
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert chain.head() == (3, entries[2].hash)
    result = chain.verify()
    assert (result.ok, result.count, result.head_hash) == (True, 3, entries[2].hash)


def test_verify_ledger_prints_ok_with_the_head(db, capsys):
    _append_n(2)
    call_command("verify_ledger")
    assert capsys.readouterr().out.strip() == f"ledger ok: 2 entries, head {Entry.objects.last().hash}"


def test_append_outside_a_transaction_is_refused(db):
    # pytest-django wraps db tests in a transaction; leave it to see the guard.
    with pytest.raises(chain.LedgerError):
        transaction.get_connection().in_atomic_block = False
        try:
            chain.append("test.action")
        finally:
            transaction.get_connection().in_atomic_block = True


def test_an_entry_rolled_back_with_its_change_leaves_no_trace(db):
    _append_n(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        chain.append("test.action", payload={"x": 1})
        raise RuntimeError("the action failed after logging")
    assert Entry.objects.count() == 1
    assert chain.head()[0] == 1
    assert chain.verify().ok


def test_an_edited_payload_is_found_at_its_sequence(db):
    _append_n(5)
    _raw("UPDATE ledger_entry SET payload = %s WHERE seq = 3", ['{"i":99}'])
    code, out = _verify_output()
    assert code == 1
    assert out.strip() == "ledger broken at entry 3: its content does not match its hash"


def test_an_edit_that_recomputes_its_own_hash_breaks_the_next_link(db):
    _append_n(5)
    entry = Entry.objects.get(seq=2)
    doc = chain.entry_document(seq=2, created_at=entry.created_at, actor_id=None, actor_name=entry.actor_name,
                               role="", region_code="511921", tender_ref="", action="test.action",
                               payload_text='{"i":42}')
    forged = chain.entry_hash(entry.prev_hash, doc)
    _raw("UPDATE ledger_entry SET payload = %s, hash = %s WHERE seq = 2", ['{"i":42}', forged])
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, 3)
    assert "previous-hash" in result.reason


def test_a_deleted_entry_is_found(db):
    _append_n(5)
    _raw("DELETE FROM ledger_entry WHERE seq = 4")
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, 4)
    assert "missing" in result.reason


def test_swapped_entries_are_found_at_the_first_swapped(db):
    _append_n(5)
    a, b = Entry.objects.get(seq=2), Entry.objects.get(seq=3)
    _raw("UPDATE ledger_entry SET payload = %s WHERE seq = 2", [b.payload])
    _raw("UPDATE ledger_entry SET payload = %s WHERE seq = 3", [a.payload])
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, 2)


def test_a_truncated_tail_is_found_through_the_head(db):
    _append_n(5)
    _raw("DELETE FROM ledger_entry WHERE seq = 5")
    result = chain.verify()
    assert result.ok is False
    assert result.bad_seq == 5
    assert ChainHead.objects.get().seq == 5


# Entry 3 stores {"i":2,"名称":"通江"}. Each forgery parses to the same value or to one JSON cannot
# spell canonically; before, the first verified as "ledger ok" and the others ended in tracebacks or passed.
FORGERIES = [
    ('{"i":"FORGED","i":2,"名称":"通江"}', 'its payload is not canonical JSON: it repeats the key "i"'),
    ('{"i":2.0,"名称":"通江"}', "its payload is not canonical JSON: it holds the number 2.0, but only integers are written"),
    ('{"i":NaN,"名称":"通江"}', "its payload is not canonical JSON: it holds NaN, which is not a JSON number"),
    ('{"i":2,"名称":"\\u901a\\u6c5f"}', "its payload is not canonical JSON: key order, white space or escapes differ "
                                   "from the canonical form"),
    ('{"i": 2,"名称":"通江"}', "its payload is not canonical JSON: key order, white space or escapes differ "
                           "from the canonical form"),
    ('{"名称":"通江","i":2}', "its payload is not canonical JSON: key order, white space or escapes differ "
                          "from the canonical form"),
    ("i=2", "its payload is not canonical JSON: it is not valid JSON"),
]


@pytest.mark.parametrize(("stored", "reason"), FORGERIES)
def test_a_stored_payload_that_is_not_exactly_canonical_is_named(db, stored, reason):
    _append_n(5)
    assert Entry.objects.get(seq=3).payload == '{"i":2,"名称":"通江"}'
    _raw("UPDATE ledger_entry SET payload = %s WHERE seq = 3", [stored])
    code, out = _verify_output()
    assert (code, out.strip()) == (1, f"ledger broken at entry 3: {reason}")


@SQLITE_ONLY
@pytest.mark.parametrize(("stored", "reason"), [
    ("2026-13-45 25:00:00", "its time “2026-13-45 25:00:00” is not a valid time"),
    ("yesterday", "its time “yesterday” is not a valid time"),
])
def test_a_malformed_stored_time_is_named_not_a_traceback(db, stored, reason):
    _append_n(3)
    _raw("UPDATE ledger_entry SET created_at = %s WHERE seq = 2", [stored])
    code, out = _verify_output()
    assert (code, out.strip()) == (1, f"ledger broken at entry 2: {reason}")


@SQLITE_ONLY
def test_a_time_respelled_to_the_same_instant_is_named(db):
    _append_n(3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(created_at AS TEXT) FROM ledger_entry WHERE seq = 2")
        written = cursor.fetchone()[0]
    respelled = written.replace(" ", "T") + "+00:00"
    _raw("UPDATE ledger_entry SET created_at = %s WHERE seq = 2", [respelled])
    code, out = _verify_output()
    assert (code, out.strip()) == (1, f"ledger broken at entry 2: its time “{respelled}” is not stored in the "
                                      "form the platform writes")


@POSTGRES_ONLY
def test_postgres_refuses_update_and_delete(db):
    from django.db.utils import InternalError

    _append_n(2)
    for sql in ["UPDATE ledger_entry SET action = 'x' WHERE seq = 1", "DELETE FROM ledger_entry WHERE seq = 2"]:
        with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Entry.objects.count() == 2
    assert chain.verify().ok


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)  # committed rows: TRUNCATE refuses rows with pending FK checks anyway
def test_postgres_refuses_truncate_of_the_log_and_its_head_and_deleting_the_head():
    from django.db.utils import InternalError

    _append_n(2)
    statements = ["TRUNCATE ledger_entry", "TRUNCATE ledger_chainhead", "TRUNCATE ledger_entry, ledger_chainhead",
                  "TRUNCATE ledger_entry CASCADE", "DELETE FROM ledger_chainhead"]
    for sql in statements:
        with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            # What a production database says; only the test database allows TRUNCATE (tests/conftest.py).
            cursor.execute("SET LOCAL ledger.allow_truncate = off")
            cursor.execute(sql)
    assert Entry.objects.count() == 2 and ChainHead.objects.get().seq == 2
    assert chain.verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    writers, per_writer = 8, 15
    errors = []

    def work():
        try:
            _append_n(per_writer)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = chain.verify()
    assert (result.ok, result.count) == (True, writers * per_writer)
    assert list(Entry.objects.values_list("seq", flat=True)) == list(range(1, writers * per_writer + 1))
