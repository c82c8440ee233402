from django.core.management.base import BaseCommand

from accounts import demo as accounts_demo


class Command(BaseCommand):
    help = "Load demo data (idempotent): organizations and users of every role, and demo tenders."

    def handle(self, *args, **options):
        self.stdout.write("loading demo accounts…")
        rows = accounts_demo.load()
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password for all: {accounts_demo.DEMO_PASSWORD})")
        self.stdout.write(f"{'user':<22}{'role':<12}{'scope':<9}organization")
        for username, role, scope, org in rows:
            self.stdout.write(f"{username:<22}{role:<12}{scope:<9}{org}")
