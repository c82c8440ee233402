"""The periodic step that publishes signed tree heads, as a django-tasks task that queues its next run.

django-tasks has no schedule: each run queues the next one LEDGER_STH_INTERVAL seconds later (default
60), unless another run is already queued, so two starts (two `publish_sth --schedule`) converge to one.
"""

import datetime
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


def interval():
    return datetime.timedelta(seconds=getattr(settings, "LEDGER_STH_INTERVAL", 60))


def _queued():
    """Is a run of the task waiting? Only the database backend can say (and only it defers runs)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=publish_tree_head_task.module_path,
                                       status=TaskResultStatus.READY).exists()


def schedule_publishing():
    """Queue the next run if none is queued and the backend can defer; True if it queued one."""
    if not publish_tree_head_task.get_backend().supports_defer or _queued():
        return False
    publish_tree_head_task.using(run_after=timezone.now() + interval()).enqueue()
    return True


@task()
def publish_tree_head_task():
    """Publish a tree head if the log grew; then queue the next run. Returns the head's size, or None."""
    from accounts.errors import DomainError

    from .sth import publish
    from .tree import TreeError

    try:
        head = publish()
    except (TreeError, DomainError) as exc:
        # The log cannot be signed as it is: say so loudly, and try again next time (verify_ledger tells why).
        logger.error("no tree head published: %s", exc)
        head = None
    finally:
        schedule_publishing()
    return head.tree_size if head else None
