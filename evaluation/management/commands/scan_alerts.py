from django.core.management.base import BaseCommand

from evaluation.alerts import scan
from trading.models import Tender


class Command(BaseCommand):
    help = "Runs the collusion alert rules (围标串标) and stores new alerts; reruns add no duplicates."

    def add_arguments(self, parser):
        parser.add_argument("--tender", action="append", default=[], help="only this tender code (repeatable)")

    def handle(self, *args, tender, **options):
        tenders = Tender.objects.filter(code__in=tender) if tender else None
        scan(tenders, out=self.stdout.write)
