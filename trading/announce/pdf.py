"""The signed PDF of an announcement: rendered from its frozen content by records (kind "announcement"),
sealed by the platform, linked to the announcement. Idempotent, so a failed run is simply run again
(`manage.py backfill_announcements` produces every missing PDF). The renderer is registered in
records/render/__init__.py."""

from django.db import transaction

from records.actions import produce_record

from ..models_announce import Announcement


def pdf_data(announcement):
    body = announcement.body
    return {
        "number": announcement.number, "heading": body["heading"], "title": announcement.title,
        "tender_code": body["tender_code"], "tender_name": body["tender_name"],
        "issued_at": announcement.published_at, "fields": body["fields"], "paragraphs": body["paragraphs"],
        "table": body["table"], "legal": body["legal"],
    }


def produce_announcement_pdf(announcement_id):
    """Render, seal and store the announcement's PDF; link it. Returns the record id."""
    announcement = Announcement.objects.select_related("tender__project", "region").get(pk=announcement_id)
    if announcement.record_id:
        return announcement.record_id
    tender = announcement.tender
    record = produce_record("announcement", pdf_data(announcement), tender_ref=tender.code,
                            region=announcement.region, organization=tender.project.owner_id)
    with transaction.atomic():
        if not Announcement.objects.filter(pk=announcement.pk, record__isnull=True).update(record=record):
            return Announcement.objects.values_list("record_id", flat=True).get(pk=announcement.pk)
    return record.pk


def produce_missing_pdfs():
    """Produce every announcement PDF not produced yet (after a failure, or for the backfill)."""
    ids = list(Announcement.objects.filter(record__isnull=True).order_by("pk").values_list("pk", flat=True))
    return [produce_announcement_pdf(pk) for pk in ids]
