# The late objection answer alert (evaluation.alerts.late_objection_answers).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0004_alerts")]

    operations = [
        migrations.AlterField(
            model_name="alert",
            name="rule",
            field=models.CharField(
                choices=[
                    ("same_file", "Identical bid files across bidders"),
                    ("close_prices", "Bid prices within 0.5 % of each other"),
                    ("price_pattern", "Bid prices in an arithmetic pattern"),
                    ("shared_contact", "Bidders sharing a phone or e-mail"),
                    ("expert_favour", "Expert favouring one bidder across tenders"),
                    ("off_hours", "Staff acting outside working hours before the deadline"),
                    ("late_answer", "Objection to the tender documents answered late or not at all"),
                ],
                max_length=20,
                verbose_name="rule",
            ),
        ),
    ]
