from django.core.management.base import BaseCommand, CommandError

from evaluation import demo


class Command(BaseCommand):
    help = ("Load the demo expert pool and venues (idempotent; after load_demo, whose accounts it uses): "
            "300 experts across every region and specialty, a few suspended or retired.")

    def handle(self, *args, **options):
        from accounts.models import User
        from evaluation.models import Expert, Venue

        if not User.objects.filter(username="city_staff").exists():
            raise CommandError("run `manage.py load_demo` first: the demo pool is kept by its staff accounts")
        added, venues = demo.load()
        self.stdout.write(f"demo expert pool: {Expert.objects.count()} experts ({added} added), "
                          f"{Venue.objects.count()} venues ({venues} added); "
                          f"expert1…expert{len(demo.accounts_demo.EXPERTS)} sign in as pool experts")
