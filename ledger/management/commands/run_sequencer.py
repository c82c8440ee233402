import threading

from django.core.management.base import BaseCommand, no_translations

from ledger import sequencer


class Command(BaseCommand):
    help = ("Run the trading log's sequencer: hash committed entries in order and integrate them into the Merkle "
            "tree, within LEDGER_INTEGRATION_DELAY seconds of their commit (docs/trading-log.md, Sequencing). "
            "One runs inside `make run`'s server; run this where the task worker runs apart from the web server. "
            "Several may run: one works, the others wait for its lock. --once integrates what is there and stops.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="integrate once, print the size, and stop")

    @no_translations  # stable English lines that scripts read
    def handle(self, *args, once=False, **options):
        if once:
            size = sequencer.integrate()
            self.stdout.write(f"integrated: {size} entries, {sequencer.unhashed_count()} pending")
            return
        self.stdout.write(f"sequencer running: at most {sequencer.delay():g} s from commit to integration")
        last = [None]

        def report(size, seconds):
            if size != last[0]:
                self.stdout.write(f"integrated: {size} entries ({seconds * 1000:.0f} ms)")
                last[0] = size

        try:
            sequencer.run_forever(threading.Event(), report)
        except KeyboardInterrupt:
            self.stdout.write("sequencer stopped")
