"""The task worker as a thread of the ASGI process (embedded default, docs/architecture.md §9)."""

import logging
import threading

logger = logging.getLogger(__name__)
_started = False


def start_in_process_worker():
    global _started
    if _started:
        return
    _started = True
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"], interval=0.5, batch=False, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="asgi-in-process", excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="task-worker", daemon=True)
    thread.start()
    logger.info("task worker running inside the ASGI process")
    from ledger.sequencer import start_in_process

    start_in_process()
    logger.info("trading log sequencer running inside the ASGI process")
