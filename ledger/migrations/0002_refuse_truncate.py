from django.db import migrations

# TRUNCATE bypasses row triggers (the append-only trigger of 0001): on PostgreSQL a statement trigger refuses it on the log and on its
# head, so neither `manage.py flush` nor a stray TRUNCATE can empty the chain (an emptied chain with
# its head would verify as "0 entries, ok"). The head row itself may move forward but never be deleted.
# The test suite empties tables between transactional tests: its throwaway test database, and only
# it, is given `ledger.allow_truncate = on` (tests/conftest.py).
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('ledger.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION ledger_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: DELETE refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entry_no_truncate
    BEFORE TRUNCATE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
CREATE TRIGGER ledger_chainhead_no_truncate
    BEFORE TRUNCATE ON ledger_chainhead
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
CREATE TRIGGER ledger_chainhead_no_delete
    BEFORE DELETE ON ledger_chainhead
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_delete();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS ledger_chainhead_no_delete ON ledger_chainhead;
DROP TRIGGER IF EXISTS ledger_chainhead_no_truncate ON ledger_chainhead;
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_refuse_truncate();
DROP FUNCTION IF EXISTS ledger_refuse_delete();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
