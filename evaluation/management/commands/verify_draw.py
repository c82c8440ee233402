import sys

from django.core.management.base import BaseCommand, CommandError, no_translations

from evaluation.actions.draw import verify_draw_record
from evaluation.models import Draw


class Command(BaseCommand):
    help = ("Recompute a revealed expert draw from published data (the frozen list and the trading log): "
            "the list's hash, both secrets against their commitments, the seed, every pick and its "
            "commitment (docs/expert-draw.md). Exits 1 on any mismatch.")

    def add_arguments(self, parser):
        parser.add_argument("draw_id", type=int)

    @no_translations  # the outcome line is stable English that scripts read; the mismatches follow it
    def handle(self, *args, draw_id, **options):
        draw = Draw.objects.select_related("tender").filter(pk=draw_id).first()
        if draw is None:
            raise CommandError(f"no draw {draw_id}")
        problems = verify_draw_record(draw)
        if not problems:
            self.stdout.write(f"draw {draw.pk} verified: committee matches")
            return
        self.stdout.write(f"draw {draw.pk} does not verify: {len(problems)} mismatch(es)")
        for problem in problems:
            self.stdout.write(f"  - {problem}")
        sys.exit(1)
