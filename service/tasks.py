"""Background task: the overdue scan (docs/architecture.md §9). Run it daily (cron `manage.py scan_overdue`
or the worker); it is rerun-safe."""

from django_tasks import task

from accounts.background import registered

from .actions import scan_overdue


@registered("service.scan_overdue")
@task()
def scan_overdue_task():
    """Returns the number of new overdue items."""
    return sum(len(items) for items in scan_overdue().values())
