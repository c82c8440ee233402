"""Background tasks of the award (docs/award.md): the deadline reminders, scheduled with run_after one
day before each limit by trading.award.reminders.schedule. Registered through trading.tasks (which
imports this module), so the name resolves in any process."""

from django_tasks import task

from accounts.background import registered

from .award.reminders import send_reminder


@registered("trading.award_reminder")
@task()
def award_reminder_task(tender_id, kind):
    """`kind`: publish (3 days, 实施条例 art. 54), contract (30 days, 招标投标法 art. 46) or report
    (15 days, art. 47; procurement: 7 working days after the contract, 政府采购法 art. 47)."""
    return send_reminder(tender_id, kind)
