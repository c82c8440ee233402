"""Background steps of the expert draw (django-tasks, like trading/tasks.py)."""

from django_tasks import task

from accounts.background import registered


@registered("evaluation.expire_unanswered")
@task()
def expire_unanswered_task(draw_id):
    """Scheduled at a seat's answer deadline (run_after): unanswered seats time out and are replaced."""
    from .actions.draw import expire_unanswered

    return [seat.pk for seat in expire_unanswered(draw_id)]


@registered("evaluation.draw_record")
@task()
def produce_draw_record_task(draw_id, full):
    """The signed draw record: the committee once complete (full=False), everything after the reveal."""
    from .records import produce_draw_record

    record = produce_draw_record(draw_id, full=full)
    return getattr(record, "pk", record)  # the record's id: a task's result is stored as JSON


@registered("evaluation.session_report")
@task()
def produce_session_report_task(session_id):
    """The signed evaluation report, once every member has signed (evaluation.actions.review.sign_report,
    or the host's retry): renders, signs, seals, closes the session. Returns the record's id."""
    from .actions.report import produce_session_report

    return produce_session_report(session_id).pk
