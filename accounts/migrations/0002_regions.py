from django.db import migrations


def create_regions(apps, schema_editor):
    from accounts.regions import ensure_regions

    ensure_regions(apps.get_model("accounts", "Region"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_regions, migrations.RunPython.noop)]
