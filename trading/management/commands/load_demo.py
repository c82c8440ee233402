import datetime

import time_machine
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import demo as accounts_demo
from trading import demo as trading_demo

HISTORY = datetime.timedelta(days=45)


class Command(BaseCommand):
    help = ("Load demo data (idempotent, on any database): organizations and users of every role, key files "
            "for the demo custodians and bidders, and tenders in every stage, one of them opened and ready "
            "for the expert draw.")

    def add_arguments(self, parser):
        parser.add_argument("--keys-dir", default=None,
                            help="folder of the demo key files (default demo/keys/); files already there are "
                                 "registered in this database, missing ones are made")

    def handle(self, *args, **options):
        from records import pki
        from trading import demo_bids

        if not pki.is_initialized():
            self.stdout.write("creating the platform PKI (init_pki)…")
            pki.init_pki()
        now = timezone.now()
        # The demo's history is replayed at its own dates, so the trading log stays in time order and
        # every legal period is checked as it would have been.
        with time_machine.travel(now - HISTORY, tick=True) as traveller:
            self.stdout.write("loading demo accounts…")
            rows = accounts_demo.load()
            demo_keys = demo_bids.ensure_keys(options["keys_dir"])
            self.stdout.write("loading demo tenders…")
            tenders = trading_demo.load(traveller, now, demo_keys)
        trading_demo.sign_records(tenders)
        if not tenders:
            self.stdout.write("  demo tenders already loaded: nothing added")
        for key, tender in tenders:
            deadline = timezone.localtime(tender.bid_deadline).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"  {key:<10} {tender.code}  deadline {deadline}  {tender.title}")
            if tender.status == tender.Status.OPENED:
                self.stdout.write(f"  {'':<10} opened: staff of {tender.region.name} request its expert draw")
        self.stdout.write("")
        self.stdout.write("Demo key files (custodians and bidders; load them in the browser or the CLI):")
        for username, demo in demo_keys.items():
            self.stdout.write(f"  {username:<12} {demo.path}")
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password for all: {accounts_demo.DEMO_PASSWORD})")
        self.stdout.write(f"{'user':<22}{'role':<12}{'scope':<9}organization")
        for username, role, scope, org in rows:
            self.stdout.write(f"{username:<22}{role:<12}{scope:<9}{org}")
