# Objections suspend the tender (实施条例 art. 22): a late answer is flagged; an answer that amends the
# documents (or must set a new deadline) is linked to its amendment.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("trading", "0007_evaluation_terms")]

    operations = [
        migrations.AddField(
            model_name="objection",
            name="answered_late",
            field=models.BooleanField(default=False, verbose_name="answered late"),
        ),
        migrations.AddField(
            model_name="objection",
            name="amendment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="trading.amendment",
                verbose_name="amendment",
            ),
        ),
    ]
