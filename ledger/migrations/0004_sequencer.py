from django.db import migrations, models

# The sequencer (ledger/sequencer.py): an action writes its entry with a number from a sequence and no
# hash; the sequencer sets prev_hash and hash once. PostgreSQL still refuses every other UPDATE and every
# DELETE. The sequence belongs to the column, so emptying the table with RESTART IDENTITY restarts it.
FORWARD_SQL = """
CREATE SEQUENCE IF NOT EXISTS ledger_entry_seq OWNED BY ledger_entry.seq;
SELECT setval('ledger_entry_seq', COALESCE((SELECT MAX(seq) FROM ledger_entry), 0) + 1, false);
CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
       AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
       AND (NEW.seq, NEW.created_at, NEW.actor_id, NEW.actor_name, NEW.role, NEW.region_code, NEW.tender_ref,
            NEW.action, NEW.payload)
           IS NOT DISTINCT FROM
           (OLD.seq, OLD.created_at, OLD.actor_id, OLD.actor_name, OLD.role, OLD.region_code, OLD.tender_ref,
            OLD.action, OLD.payload) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ledger_entry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
BACKWARD_SQL = """
CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP SEQUENCE IF EXISTS ledger_entry_seq;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD_SQL, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_merkle_tree")]

    operations = [
        migrations.AlterField(model_name="entry", name="prev_hash", field=models.CharField(max_length=64, null=True)),
        migrations.AlterField(model_name="entry", name="hash",
                              field=models.CharField(max_length=64, null=True, unique=True)),
        migrations.RunPython(forward, backward),
    ]
