from django.db import migrations

# Title search (icontains) on PostgreSQL: a trigram index over upper(title). It needs the pg_trgm
# extension; where the application's role may not create it, the index is skipped (search still works,
# by scanning) and the log says so.


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.db import transaction

    try:
        with transaction.atomic():
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
            schema_editor.execute(
                "CREATE INDEX IF NOT EXISTS tender_title_trgm ON trading_tender USING gin (upper(title) gin_trgm_ops)",
                params=None,
            )
    except Exception as exc:  # noqa: BLE001 - an optional index
        import logging

        logging.getLogger(__name__).warning("trigram index on tender titles not created: %s", exc)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS tender_title_trgm", params=None)


class Migration(migrations.Migration):
    dependencies = [("trading", "0004_opening")]
    operations = [migrations.RunPython(create_index, drop_index)]
