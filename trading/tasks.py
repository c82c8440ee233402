from django_tasks import task


@task()
def record_clock_stages(tender_id):
    """Scheduled at each clock moment of a tender (run_after); records what the clock has reached."""
    from .actions import record_clock_stages as record

    return record(tender_id)


@task()
def produce_receipt_pdf(bid_id):
    from .actions.receipt_pdf import produce_receipt_pdf as produce

    return produce(bid_id)
