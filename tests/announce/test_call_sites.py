"""The actions that make an event public announce it, in their own transaction.

THESE TESTS FAIL UNTIL THE LEAD APPLIES THE CALL-SITE PATCHES (one `announce(...)` line each, listed in the
announce report): trading/actions/tenders.py (approve_tender, issue_amendment),
trading/actions/opening_record.py (produce_opening_record), trading/actions/opening.py (start_opening's
tender.failed) and trading/actions/award.py (publish_candidates, confirm_award; the award engineer's, already
in), and the include in templates/trading/detail.html (the tender page lists its announcements)."""

from tests.award.conftest import after
from tests.award.conftest import publish as publish_candidates
from tests.factories import make_tender, make_user
from tests.realtime.opening_setup import opening_scene
from trading import actions
from trading.actions import award
from trading.actions.opening import start_opening
from trading.actions.opening_record import produce_opening_record
from trading.models import Announcement


def _kinds(tender):
    return list(Announcement.objects.filter(tender=tender).order_by("published_at", "id")
                .values_list("kind", flat=True))


def test_approving_a_tender_publishes_its_announcement(regions, platform_pki):
    staff = make_user("staff", "511921")
    tender = make_tender(make_user("tenderer", "511921"), "511921", publish_by=staff)
    assert _kinds(tender) == ["tender"]
    assert Announcement.objects.get(tender=tender).published_at == tender.published_at


def test_each_amendment_is_announced(regions, platform_pki):
    staff = make_user("staff", "511921")
    tender = make_tender(make_user("tenderer", "511921"), "511921", publish_by=staff)
    amendment = actions.issue_amendment(actor=tender.created_by, tender_id=tender.pk, kind="clarification",
                                        text="澄清", affects_bids=False)
    assert _kinds(tender) == ["tender", "amendment"]
    assert Announcement.objects.get(tender=tender, kind="amendment").source_key == f"amendment:{amendment.pk}"


def test_the_signed_opening_record_is_announced(opened_tender):
    assert "opening_record" not in _kinds(opened_tender.tender)
    produce_opening_record(opened_tender.tender.pk)
    assert _kinds(opened_tender.tender)[-1] == "opening_record"


def test_a_failed_tender_is_announced(regions, platform_pki):
    scene = opening_scene(2)
    with scene.after_deadline():
        start_opening(scene.tender.pk)
    assert _kinds(scene.tender)[-1] == "failure"


def test_the_candidates_and_the_award_are_announced(evaluated):
    publicity = publish_candidates(evaluated)
    assert _kinds(evaluated.tender)[-1] == "candidates"
    with after(publicity.ends):
        award.confirm_award(actor=evaluated.owner, tender_id=evaluated.tender.pk)
    assert _kinds(evaluated.tender)[-2:] == ["candidates", "result"]


def test_the_tender_page_lists_its_announcements_in_order(regions, platform_pki, client):
    staff = make_user("staff", "511921")
    tender = make_tender(make_user("tenderer", "511921"), "511921", publish_by=staff)
    actions.issue_amendment(actor=tender.created_by, tender_id=tender.pk, kind="clarification", text="澄清",
                            affects_bids=False)
    page = client.get(f"/tenders/{tender.pk}/").content.decode()
    first, second = Announcement.objects.filter(tender=tender).order_by("published_at", "id")
    assert 'id="tender-announcements"' in page
    assert page.index(f"/announcements/{first.pk}/") < page.index(f"/announcements/{second.pk}/")
