from django_tasks import task

from accounts.background import registered


@registered("records.produce_record")
@task()
def produce_record_task(*, kind, data, tender_ref, signer_ids, actor_id, region_code, organization_id):
    """Background form of records.actions.produce_record (see enqueue_record). Returns the record id."""
    from accounts.models import User

    from .actions import produce_record

    users = User.objects.in_bulk(signer_ids)
    record = produce_record(
        kind, data, tender_ref=tender_ref, signers=[users[pk] for pk in signer_ids],
        actor=User.objects.get(pk=actor_id) if actor_id is not None else None,
        region=region_code, organization=organization_id,
    )
    return record.pk
