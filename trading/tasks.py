from django_tasks import task

from accounts.background import registered


@registered("trading.record_clock_stages")
@task()
def record_clock_stages(tender_id):
    """Scheduled at each clock moment of a tender (run_after); records what the clock has reached."""
    from .actions import record_clock_stages as record

    return record(tender_id)


@registered("trading.start_opening")
@task()
def start_opening_task(tender_id):
    """Past the deadline: close the bidding and open the hall, once the bids delivered before the deadline
    are decided (start_opening waits for them, at most BID_FINALIZE_GRACE)."""
    from .actions.opening import start_opening

    start_opening(tender_id)


@registered("trading.receipt_pdf")
@task()
def produce_receipt_pdf(bid_id):
    from .actions.receipt_pdf import produce_receipt_pdf as produce

    return produce(bid_id)


@registered("trading.open_bids")
@task()
def open_bids_task(tender_id):
    """Decrypt every bid of a tender once k shares are in (rerun-safe)."""
    from .actions.opening import open_bids

    return open_bids(tender_id)


@registered("trading.opening_record")
@task()
def opening_record_task(tender_id):
    from .actions.opening_record import produce_opening_record

    return produce_opening_record(tender_id)


@registered("trading.expire_uploads")
@task()
def expire_uploads_task(tender_id):
    """Some minutes after the deadline: expire uploads that were busy when bidding closed."""
    from .actions.bids import sweep_expired_uploads

    return sweep_expired_uploads(tender_id)


from .tasks_award import award_reminder_task  # noqa: E402, F401  (registers trading.award_reminder)
