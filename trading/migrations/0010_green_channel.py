"""The green channel (issue 12): requests, the milestone plan, the officer's notes and contacts."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('trading', '0009_calendar_floor'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='GreenChannelRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(choices=[('major_investment', 'Major investment project'), ('investment_promotion', 'Investment promotion project'), ('public_welfare', 'Key public welfare project')], max_length=30, verbose_name='reason')),
                ('explanation', models.TextField(blank=True, verbose_name='explanation')),
                ('investment_fen', models.BigIntegerField(verbose_name='investment amount (fen)')),
                ('evidence', models.FileField(upload_to='green-channel/%Y/%m/', verbose_name='approval document')),
                ('evidence_name', models.CharField(max_length=200, verbose_name='file name')),
                ('evidence_sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('status', models.CharField(choices=[('requested', 'Awaiting decision'), ('approved', 'Approved'), ('refused', 'Refused')], default='requested', max_length=12, verbose_name='status')),
                ('requested_at', models.DateTimeField(verbose_name='requested at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_reason', models.TextField(blank=True, verbose_name='reason for the decision')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('deputy', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='green_deputy_projects', to=settings.AUTH_USER_MODEL, verbose_name='deputy officer')),
                ('officer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='green_projects', to=settings.AUTH_USER_MODEL, verbose_name='dedicated officer')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='green_requests', to='trading.project', verbose_name='project')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'green channel request',
                'verbose_name_plural': 'green channel requests',
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='GreenNote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('note', 'Note'), ('contact', 'Contact with the tenderer')], max_length=10, verbose_name='kind')),
                ('channel', models.CharField(blank=True, choices=[('phone', 'Telephone'), ('visit', 'Visit'), ('meeting', 'Meeting at the center'), ('online', 'Online')], max_length=10, verbose_name='channel')),
                ('contact_person', models.CharField(blank=True, max_length=100, verbose_name='contact person')),
                ('text', models.TextField(verbose_name='text')),
                ('at', models.DateTimeField(verbose_name='time')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notes', to='trading.greenchannelrequest')),
            ],
            options={
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Milestone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('document_review', 'Document review'), ('publication', 'Publication'), ('opening', 'Opening'), ('draw', 'Expert draw'), ('evaluation', 'Evaluation'), ('candidate_publicity', 'Candidate publicity'), ('award', 'Award')], max_length=30, verbose_name='milestone')),
                ('position', models.PositiveSmallIntegerField()),
                ('target', models.DateField(verbose_name='target date')),
                ('ordinary_target', models.DateField(verbose_name='ordinary target date')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='milestones', to='trading.greenchannelrequest')),
                ('tender', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='green_milestones', to='trading.tender')),
            ],
            options={
                'ordering': ['tender_id', 'position'],
            },
        ),
        migrations.AddConstraint(
            model_name='greenchannelrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['requested', 'approved'])), fields=('project',), name='one_live_green_request_per_project'),
        ),
        migrations.AddConstraint(
            model_name='milestone',
            constraint=models.UniqueConstraint(fields=('request', 'tender', 'kind'), name='unique_green_milestone'),
        ),
    ]
