import sys

from django.core.management.base import BaseCommand, no_translations

from accounts.errors import DomainError
from ledger import sth, tree


class Command(BaseCommand):
    help = ("Integrate the trading log's new entries into its Merkle tree and, if it grew, publish a tree head "
            "signed by the platform seal (docs/trading-log.md). --schedule also queues the background task that "
            "does it again every LEDGER_STH_INTERVAL seconds.")

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true",
                            help="queue the periodic publishing task for the task worker (once)")

    @no_translations  # stable English lines that scripts read
    def handle(self, *args, schedule=False, **options):
        try:
            head = sth.publish()
        except tree.TreeError as exc:
            self.stdout.write(f"tree not extended at entry {exc.seq}: {exc.reason}")
            sys.exit(1)
        except DomainError as exc:
            self.stdout.write(f"no tree head published: {exc.message}")
            sys.exit(1)
        if head is None:
            latest = sth.latest()
            self.stdout.write(f"unchanged: tree head of {latest.tree_size} entries, root {latest.root_hash}"
                              if latest else "unchanged: the log is empty")
        else:
            self.stdout.write(f"published: tree head of {head.tree_size} entries, root {head.root_hash}")
        if schedule:
            from ledger.tasks import schedule_publishing

            self.stdout.write("periodic publishing queued" if schedule_publishing()
                              else "periodic publishing was already queued")
