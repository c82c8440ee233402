from django.db import migrations


def seed(apps, schema_editor):
    from trading.calendar import seed_from_package

    seed_from_package(apps.get_model("trading", "CalendarDay"), apps.get_model("trading", "CalendarYear"))


class Migration(migrations.Migration):
    dependencies = [("trading", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
