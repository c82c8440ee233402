from django.db import migrations


def create_specialties(apps, schema_editor):
    from evaluation.specialties import ensure_specialties

    ensure_specialties(apps.get_model("evaluation", "Specialty"))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_expert_pool_and_draw")]
    operations = [migrations.RunPython(create_specialties, migrations.RunPython.noop)]
