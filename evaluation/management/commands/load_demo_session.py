from django.core.management.base import BaseCommand, CommandError

from evaluation import demo_session


class Command(BaseCommand):
    help = ("Load the demo evaluation (after load_demo and load_demo_experts; idempotent): the committee of the "
            "demo tender 通江县城区供水管网改造工程 is drawn, five demo experts in three venues, and its session "
            "opened at check-in. Prints the walk-through with the check-in codes and writes it to "
            "VAR_DIR/demo/evaluation.txt.")

    def handle(self, *args, **options):
        try:
            loaded = demo_session.load()
        except demo_session.DemoError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("")
        if isinstance(loaded, demo_session.Loaded):
            self.stdout.write(loaded.text, ending="")
            self.stdout.write(f"  (this walk-through is in {loaded.path})")
            return
        session = loaded
        saved = demo_session.saved_walkthrough(session)
        self.stdout.write(f"demo evaluation already loaded: session {session.pk}, stage {session.stage}")
        if saved is None:
            self.stdout.write(f"  {demo_session.walkthrough_path()} is not this database's: the check-in codes "
                              "are kept as hashes only, load the demo into a new database to see new ones")
        else:
            self.stdout.write(saved, ending="")
            self.stdout.write(f"  (this walk-through is in {demo_session.walkthrough_path()})")
