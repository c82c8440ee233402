import sys

from django.core.management.base import BaseCommand, no_translations

from ledger.chain import verify


class Command(BaseCommand):
    help = ("Walk the trading log's hash chain, then check the log head every signed record carries; "
            "report the first entry that does not match.")

    @no_translations  # the output is a stable English line that scripts read (README)
    def handle(self, *args, **options):
        result = verify(progress=lambda n: self.stderr.write(f"verified {n} entries…"))
        if result.ok:
            self.stdout.write(f"ledger ok: {result.count} entries, head {result.head_hash}")
            return
        self.stdout.write(f"ledger broken at entry {result.bad_seq}: {result.reason}")
        sys.exit(1)
