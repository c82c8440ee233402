"""`manage.py backfill_announcements` (idempotent): announcements, with their signed PDFs, for tenders
published before announcements existed, and every PDF a failure left unproduced."""

from django.core.management.base import BaseCommand

from trading.announce.backfill import backfill
from trading.announce.pdf import produce_missing_pdfs
from trading.models import Announcement


class Command(BaseCommand):
    help = "Announce the past public events of published tenders (idempotent) and produce missing PDFs."

    def handle(self, *args, **options):
        tenders, added = backfill()
        produced = produce_missing_pdfs()
        missing = Announcement.objects.filter(record__isnull=True).count()
        self.stdout.write(f"{tenders} tenders, {added} announcements added, {len(produced)} missing PDFs produced, "
                          f"{missing} still missing")
