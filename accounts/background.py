"""Background tasks by name, so that imports go one way: tasks -> actions (docs/architecture.md §9).

A task (django-tasks, in `<app>/tasks.py`) runs an action, so it imports the action. An action that
schedules a task must not import the tasks module back: it enqueues the task by its registered name,

    enqueue("trading.open_bids", tender_id)
    enqueue("trading.expire_uploads", tender_id, run_after=moment)

and this module, in the lowest layer, resolves the name. A task registers its name with
`@registered("trading.open_bids")` above `@task()`; the name starts with the app whose `tasks` module
defines it, which is imported on first use, so a name resolves in any process (web or worker) whatever
was imported before. The task itself keeps its django-tasks identity (`trading.tasks.open_bids_task`),
which is what the database backend stores and the worker imports.
"""

from importlib import import_module

from django_tasks.base import Task

_TASKS: dict[str, Task] = {}


def registered(name):
    """Register the decorated django-tasks Task under `name` ("<app>.<what it does>")."""

    def decorate(task):
        if not isinstance(task, Task):
            raise TypeError(f"{name}: put @registered above @task()")
        known = _TASKS.setdefault(name, task)
        if known.module_path != task.module_path:
            raise ValueError(f"task name {name} is taken by {known.module_path}")
        _TASKS[name] = task  # a reloaded module (tests, autoreload) replaces its own task
        return task

    return decorate


def task_named(name):
    """The Task registered under `name`, importing `<app>.tasks` first if it is not known yet."""
    if name not in _TASKS:
        module = f"{name.split('.', 1)[0]}.tasks"
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if not module.startswith(exc.name or "?"):  # a missing import inside the tasks module: say so
                raise
            raise LookupError(f"no background task is registered as {name}: there is no {module}") from None
    try:
        return _TASKS[name]
    except KeyError:
        raise LookupError(f"no background task is registered as {name}") from None


def enqueue(name, *args, run_after=None, **kwargs):
    """Enqueue the task registered as `name` (after `run_after`, an aware datetime, if given).
    Returns the django-tasks TaskResult."""
    task = task_named(name)
    if run_after is not None:
        task = task.using(run_after=run_after)
    return task.enqueue(*args, **kwargs)
