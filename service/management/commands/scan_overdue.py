from django.core.management.base import BaseCommand

from service.actions import scan_overdue
from service.models import OverdueItem, Step


class Command(BaseCommand):
    help = "Finds the service steps past their limit (超期件) and stores each once; reruns add nothing."

    def handle(self, *args, **options):
        found = scan_overdue()
        for step in Step:
            still_open = OverdueItem.objects.filter(step=step, closed_at__isnull=True).count()
            self.stdout.write(f"{step.value}: {len(found[step.value])} new, {still_open} open")
