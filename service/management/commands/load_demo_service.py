"""`manage.py load_demo_service` (after load_demo and load_demo_experts; idempotent): the last full quarter
of service history across the centers (service/ranking_demo.py), then the overdue scan."""

from django.core.management.base import BaseCommand, CommandError

from service import ranking_demo


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--keys-dir", default=None, help="folder of the demo key files (as load_demo's)")

    def handle(self, *args, **options):
        if ranking_demo.loaded():
            self.stdout.write("demo service history already loaded: nothing added")
            return
        try:
            year, q = ranking_demo.load(self.stdout.write, options["keys_dir"])
        except ranking_demo.DemoError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"rankings: /service/rankings/{year}/{q}/ · overdue items: /service/overdue/")
