"""The holiday floor (issue 18 item 2): CalendarYear now means "this year's arrangement is confirmed
complete" (by city staff, explicitly); tenders whose periods become too short are flagged."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_implicit_years(apps, schema_editor):
    """Before, entering any single day created the year's row (source "staff"): that did not mean the
    arrangement was complete, so those years go back to unconfirmed until staff confirm them."""
    apps.get_model("trading", "CalendarYear").objects.filter(source="staff").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("trading", "0008_objection_suspension"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="calendaryear",
            name="confirmed_by",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="calendaryear",
            name="loaded_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="confirmed at"),
        ),
        migrations.CreateModel(
            name="CalendarFlag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                ("code", models.CharField(max_length=40)),
                ("earliest", models.DateField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "tender",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="calendar_flags",
                        to="trading.tender",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(fields=("tender", "year", "code"), name="unique_calendar_flag")
                ],
            },
        ),
        migrations.RunPython(drop_implicit_years, migrations.RunPython.noop),
    ]
