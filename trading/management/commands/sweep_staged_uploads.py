"""`manage.py sweep_staged_uploads`: remove files kept across a failed save of the tender form that are
older than a day (trading/staging.py). The form sweeps them too whenever it is used; run this from cron
on a platform where it may not be used for days."""

from django.core.management.base import BaseCommand

from trading import staging


class Command(BaseCommand):
    help = "Remove staged uploads of the tender form older than a day."

    def handle(self, *args, **options):
        staging.sweep()
