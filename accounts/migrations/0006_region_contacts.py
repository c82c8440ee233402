from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_password_reset_code")]

    operations = [
        migrations.AddField(model_name="region", name="contact_name",
                            field=models.CharField(blank=True, max_length=100, verbose_name="trading center")),
        migrations.AddField(model_name="region", name="contact_address",
                            field=models.CharField(blank=True, max_length=200, verbose_name="address")),
        migrations.AddField(model_name="region", name="contact_phone",
                            field=models.CharField(blank=True, max_length=60, verbose_name="telephone")),
        migrations.AddField(model_name="region", name="contact_hours",
                            field=models.CharField(blank=True, max_length=100, verbose_name="office hours")),
    ]
