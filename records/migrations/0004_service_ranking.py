from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0003_record_kinds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='record',
            name='kind',
            field=models.CharField(choices=[('bid_receipt', 'Bid receipt'), ('opening_record', 'Opening record'), ('draw_record', 'Expert draw record'), ('evaluation_report', 'Evaluation report'), ('candidate_publicity', 'Candidate publicity'), ('award_notice', 'Award notice'), ('award_result', 'Award result announcement'), ('unsuccessful_notice', 'Notice to an unsuccessful bidder'), ('announcement', 'Announcement'), ('complaint_decision', 'Complaint decision'), ('green_channel_summary', 'Green channel summary'), ('service_ranking', 'Quarterly ranking of the trading centers')], max_length=30, verbose_name='kind'),
        ),
    ]
