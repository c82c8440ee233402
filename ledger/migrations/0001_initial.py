from django.conf import settings
from django.db import migrations, models

# PostgreSQL refuses any UPDATE or DELETE on the log: entries are append-only (docs/architecture.md §6).
# TRUNCATE is a table privilege: production revokes it from the application's role (README);
# the test suite needs it to reset tables between transactional tests.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_entry_append_only();
"""


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    initial = True
    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(default="0" * 64, max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="Entry",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="sequence")),
                ("created_at", models.DateTimeField(verbose_name="time")),
                ("actor_name", models.CharField(max_length=150, verbose_name="actor")),
                ("role", models.CharField(blank=True, max_length=20, verbose_name="role")),
                ("region_code", models.CharField(blank=True, db_index=True, max_length=12, verbose_name="region")),
                ("tender_ref", models.CharField(blank=True, db_index=True, max_length=40, verbose_name="tender")),
                ("action", models.CharField(db_index=True, max_length=60, verbose_name="action")),
                ("payload", models.TextField(verbose_name="payload")),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64, unique=True)),
                ("actor", models.ForeignKey(null=True, on_delete=models.deletion.PROTECT, related_name="+",
                                            to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["seq"], "verbose_name": "trading log entry",
                     "verbose_name_plural": "trading log entries"},
        ),
        migrations.RunPython(install_trigger, remove_trigger),
    ]
