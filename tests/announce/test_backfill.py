"""`manage.py backfill_announcements`: tenders published before announcements existed get theirs, dated
when each event happened, with their signed PDFs; running it again adds nothing."""

import io

from django.core.management import call_command

from ledger.models import Entry
from records.models import Record
from records.verify import verify_pdf
from tests.factories import make_tender, make_user
from tests.records.helpers import read
from trading import actions
from trading.models import Announcement


def _run():
    out = io.StringIO()
    call_command("backfill_announcements", stdout=out)
    return out.getvalue()


def test_it_announces_past_events_once_with_their_pdfs(regions, platform_pki):
    staff = make_user("staff", "511921")
    old = make_tender(make_user("tenderer", "511921"), "511921", publish_by=staff, title="旧标段")
    amendment = actions.issue_amendment(actor=old.created_by, tender_id=old.pk, kind="clarification",
                                        text="旧澄清", affects_bids=False)
    make_tender(make_user("tenderer", "511921"), "511921", title="草稿")  # never published: nothing
    Announcement.objects.all().delete()  # as before the feature (were the call sites already patched)
    old.refresh_from_db()

    assert _run().startswith("1 tenders, 2 announcements added, 2 missing PDFs produced, 0 still missing")
    tender_a, amendment_a = Announcement.objects.order_by("published_at", "id")
    assert (tender_a.kind, tender_a.published_at, tender_a.title) == ("tender", old.published_at, "旧标段招标公告")
    assert (amendment_a.kind, amendment_a.published_at, amendment_a.source_key) == (
        "amendment", amendment.issued_at, f"amendment:{amendment.pk}")
    for a in (tender_a, amendment_a):
        assert a.record_id is not None and verify_pdf(read(a.record)).ok

    records, entries = Record.objects.count(), Entry.objects.count()
    assert _run().startswith("1 tenders, 0 announcements added, 0 missing PDFs produced, 0 still missing")
    assert (Announcement.objects.count(), Record.objects.count(), Entry.objects.count()) == (2, records, entries)


def test_it_produces_a_pdf_that_failed_before(published):
    assert Announcement.objects.get(tender=published).record_id is None  # its commit callback never ran
    assert _run().startswith("1 tenders, 0 announcements added, 1 missing PDFs produced, 0 still missing")
    assert Announcement.objects.get(tender=published).record.kind == "announcement"
