import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Published tree heads and witness cosignatures are evidence, like the entries: PostgreSQL refuses to
# change, delete or truncate them (the truncate rule is migration 0002's, which lets the test databases
# through). The tiles and the tree state are a cache of the entries and may be rebuilt.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION ledger_evidence_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_treehead_append_only BEFORE UPDATE OR DELETE ON ledger_treehead
    FOR EACH ROW EXECUTE FUNCTION ledger_evidence_append_only();
CREATE TRIGGER ledger_cosignature_append_only BEFORE UPDATE OR DELETE ON ledger_cosignature
    FOR EACH ROW EXECUTE FUNCTION ledger_evidence_append_only();
CREATE TRIGGER ledger_treehead_no_truncate BEFORE TRUNCATE ON ledger_treehead
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
CREATE TRIGGER ledger_cosignature_no_truncate BEFORE TRUNCATE ON ledger_cosignature
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS ledger_cosignature_no_truncate ON ledger_cosignature;
DROP TRIGGER IF EXISTS ledger_treehead_no_truncate ON ledger_treehead;
DROP TRIGGER IF EXISTS ledger_cosignature_append_only ON ledger_cosignature;
DROP TRIGGER IF EXISTS ledger_treehead_append_only ON ledger_treehead;
DROP FUNCTION IF EXISTS ledger_evidence_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0002_refuse_truncate'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TreeHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tree_size', models.BigIntegerField(unique=True, verbose_name='tree size')),
                ('root_hash', models.CharField(max_length=64, verbose_name='root hash')),
                ('timestamp', models.BigIntegerField(verbose_name='timestamp (ms since 1970, UTC)')),
                ('seal_sha256', models.CharField(max_length=64, verbose_name='seal certificate')),
                ('signature', models.TextField(verbose_name='signature (base64)')),
                ('published_at', models.DateTimeField(verbose_name='published at')),
            ],
            options={
                'verbose_name': 'signed tree head',
                'verbose_name_plural': 'signed tree heads',
                'ordering': ['-tree_size'],
            },
        ),
        migrations.CreateModel(
            name='TreeState',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('size', models.BigIntegerField(default=0)),
                ('last_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='Tile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.PositiveSmallIntegerField()),
                ('index', models.BigIntegerField()),
                ('hashes', models.BinaryField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('level', 'index'), name='ledger_tile_level_index')],
            },
        ),
        migrations.CreateModel(
            name='Cosignature',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(verbose_name='co-signed at')),
                ('witness', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('checked_from', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.treehead')),
                ('head', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cosignatures', to='ledger.treehead')),
            ],
            options={
                'verbose_name': 'witness cosignature',
                'verbose_name_plural': 'witness cosignatures',
                'constraints': [models.UniqueConstraint(fields=('head', 'witness'), name='ledger_cosignature_once')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
