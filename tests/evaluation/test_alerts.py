"""Collusion alerts (issue 15): each rule fires on a constructed case and stays silent on a clean one;
scans do not duplicate; a county regulator sees nothing of another county; review is a logged write."""

import datetime
import itertools
import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from evaluation import alerts
from evaluation.models import Alert
from ledger.models import Entry
from tests.factories import make_org, make_tender, make_user

_n = itertools.count(1)


def _urlpatterns():
    """config.urls with evaluation.urls_alerts under /evaluation/alerts/, as the lead's include will make it."""
    from django.urls import URLResolver, include, path

    from config import urls as root
    from evaluation import urls as ev

    patterns = list(ev.urlpatterns)
    if not any("alert_list" in getattr(p, "reverse_dict", {}) for p in patterns if isinstance(p, URLResolver)):
        patterns.append(path("alerts/", include("evaluation.urls_alerts")))
    return [path("evaluation/", include((patterns, "evaluation"))) if getattr(p, "namespace", None) == "evaluation"
            else p for p in root.urlpatterns]


urlpatterns = _urlpatterns()
pytestmark = pytest.mark.urls(__name__)


def tender_in(region_code):
    owner = make_user("tenderer", region_code)
    return make_tender(owner, region_code, document=False)


def opened_bid(tender, org=None, *, price=None, files=()):
    """A bid of `org` (a new bidder organization by default) already opened, with its bid letter and files
    (sha256 strings). The rows are written directly: the rules only read them."""
    from trading.models import Bid, BidUpload, OpenedBid, OpenedFile

    org = org or make_org("bidder", tender.region.code)
    user = make_user("bidder", tender.region.code, org=org)
    upload = BidUpload.objects.create(id=uuid.uuid4(), tender=tender, organization=org, user=user,
                                      declared_size=10, received=10, status="complete", storage_name="x")
    k = next(_n)
    bid = Bid.objects.create(tender=tender, organization=org, submitted_by=user, upload=upload, envelope="e",
                             size=10, sha256="0" * 64, header={}, submitted_at=timezone.now(),
                             receipt_no=f"R-ALERT-{k}", receipt="{}", receipt_signature="")
    letter = {} if price is None else {"price": price}
    opened = OpenedBid.objects.create(bid=bid, outcome="opened", bid_letter=letter, opened_at=timezone.now())
    for i, digest in enumerate(files):
        OpenedFile.objects.create(opened=opened, name=f"file{i}.pdf", media_type="application/pdf", size=1,
                                  sha256=digest, storage_name=f"s{k}-{i}")
    return opened


def rules(findings):
    return sorted(f["rule"] for f in findings)


# --- (1) identical files ---------------------------------------------------------------------------

def test_same_file_fires_across_bidders_and_not_otherwise(regions):
    tender = tender_in("511921")
    opened_bid(tender, files=["a" * 64, "b" * 64])
    opened_bid(tender, files=["a" * 64])
    opened_bid(tender, files=["c" * 64])
    found = alerts.same_files(tender)
    assert rules(found) == ["same_file"]
    assert found[0]["evidence"]["sha256"] == "a" * 64 and len(found[0]["evidence"]["files"]) == 2
    assert found[0]["region_code"] == "511921" and found[0]["tender_ref"] == tender.code

    clean = tender_in("511921")
    org = make_org("bidder", "511921")
    opened_bid(clean, org, files=["d" * 64, "d" * 64])  # one bidder's own duplicate is no collusion
    opened_bid(clean, files=["e" * 64])
    assert alerts.same_files(clean) == []


# --- (2) prices ------------------------------------------------------------------------------------

def test_close_prices_fire_within_half_a_percent_only(regions):
    tender = tender_in("511921")
    opened_bid(tender, price=10_000_000)
    opened_bid(tender, price=10_049_000)  # +0.49 %
    opened_bid(tender, price=12_000_000)
    found = alerts.prices(tender)
    assert rules(found) == ["close_prices"]
    assert [b["price_fen"] for b in found[0]["evidence"]["bids"]] == [10_000_000, 10_049_000]

    clean = tender_in("511921")
    opened_bid(clean, price=10_000_000)
    opened_bid(clean, price=10_051_000)  # +0.51 %
    opened_bid(clean, price=13_000_000)
    assert alerts.prices(clean) == []


def test_arithmetic_price_pattern_fires(regions):
    tender = tender_in("511921")
    for price in (9_000_000, 9_300_000, 9_600_000, 12_345_678):
        opened_bid(tender, price=price)
    found = alerts.prices(tender)
    assert rules(found) == ["price_pattern"]
    assert found[0]["evidence"]["step_fen"] == 300_000
    assert sorted(b["price_fen"] for b in found[0]["evidence"]["bids"]) == [9_000_000, 9_300_000, 9_600_000]


# --- (3) shared contacts ---------------------------------------------------------------------------

def test_shared_phone_or_email_fires(regions):
    from accounts.models import User

    tender = tender_in("511921")
    a, b, c = (opened_bid(tender) for _ in range(3))
    User.objects.filter(organization=a.bid.organization).update(phone="13900000001", email="x@a.cn")
    User.objects.filter(organization=b.bid.organization).update(phone="13900000001", email="y@b.cn")
    User.objects.filter(organization=c.bid.organization).update(phone="13900000003", email="X@A.cn")
    found = alerts.shared_contacts(tender)
    assert sorted((f["evidence"]["field"], f["evidence"]["value"]) for f in found) == [
        ("email", "x@a.cn"), ("phone", "13900000001")]

    clean = tender_in("511921")
    for i, o in enumerate(opened_bid(clean) for _ in range(3)):
        User.objects.filter(organization=o.bid.organization).update(phone=f"1380000000{i}", email=f"{i}@c.cn")
    assert alerts.shared_contacts(clean) == []


# --- (6) staff off hours ---------------------------------------------------------------------------

def _entry_at(tender, actor, when):
    import time_machine
    from django.db import transaction

    from ledger import chain

    with time_machine.travel(when, tick=False), transaction.atomic():
        entry = chain.append("tender.touched", actor=actor, region=tender.region, tender_ref=tender.code)
    assert entry.created_at == when
    return entry.seq


def test_staff_at_night_before_the_deadline_fires(regions):
    from trading.calendar import LOCAL
    from trading.models import Tender

    tender = tender_in("511921")
    staff = make_user("staff", "511921")
    deadline = datetime.datetime(2026, 6, 10, 9, 30, tzinfo=LOCAL)  # a Wednesday
    Tender.objects.filter(pk=tender.pk).update(bid_deadline=deadline)
    tender.refresh_from_db()
    evening = _entry_at(tender, staff, deadline.replace(day=9, hour=22, minute=30))
    _entry_at(tender, staff, deadline.replace(day=9, hour=21, minute=50))  # still working hours
    night = _entry_at(tender, staff, deadline.replace(hour=2))
    _entry_at(tender, staff, deadline.replace(hour=8))  # working hours: silent
    _entry_at(tender, staff, deadline - datetime.timedelta(days=2, hours=8))  # night, outside the window
    found = alerts.off_hours(tender)
    assert [f["evidence"]["seq"] for f in found] == [evening, night]
    assert found[0]["evidence"]["night"] is True


def test_staff_on_a_rest_day_before_the_deadline_fires(regions):
    from trading.calendar import LOCAL
    from trading.models import Tender

    tender = tender_in("511921")
    staff = make_user("staff", "511921")
    deadline = datetime.datetime(2026, 6, 8, 9, 30, tzinfo=LOCAL)  # a Monday
    Tender.objects.filter(pk=tender.pk).update(bid_deadline=deadline)
    tender.refresh_from_db()
    sunday = _entry_at(tender, staff, datetime.datetime(2026, 6, 7, 14, 0, tzinfo=LOCAL))
    found = alerts.off_hours(tender)
    assert [f["evidence"]["seq"] for f in found] == [sunday]
    assert (found[0]["evidence"]["rest_day"], found[0]["evidence"]["night"]) == (True, False)


def test_off_hours_silent_for_day_work_and_non_staff(regions):
    from trading.calendar import LOCAL
    from trading.models import Tender

    tender = tender_in("511921")
    staff, bidder = make_user("staff", "511921"), make_user("bidder", "511921")
    deadline = datetime.datetime(2026, 6, 10, 9, 30, tzinfo=LOCAL)
    Tender.objects.filter(pk=tender.pk).update(bid_deadline=deadline)
    tender.refresh_from_db()
    _entry_at(tender, staff, deadline.replace(hour=9))
    _entry_at(tender, bidder, deadline.replace(hour=1))
    assert alerts.off_hours(tender) == []


# --- (5) expert favouring one organization ---------------------------------------------------------

def _session_with_scores(tender, experts, orgs_points, specialty):
    """A session of `tender` whose members (one per expert) scored: {org: [points per expert]}."""
    from evaluation.models import Draw, DrawRequirement, EvaluationSession, Member, Score, Seat

    staff = make_user("staff", tender.region.code)
    draw = Draw.objects.create(tender=tender, committee_size=len(experts), requested_by=staff,
                               requested_at=timezone.now())
    req = DrawRequirement.objects.create(draw=draw, specialty=specialty, count=len(experts))
    session = EvaluationSession.objects.create(tender=tender, draw=draw, opened_by=staff, opened_at=timezone.now())
    members = []
    for i, e in enumerate(experts):
        seat = Seat.objects.create(draw=draw, requirement=req, expert=e, counter=i)
        members.append(Member.objects.create(session=session, seat=seat, expert=e))
    for org, points in orgs_points.items():
        opened = opened_bid(tender, org)
        for m, p in zip(members, points, strict=True):
            Score.objects.create(member=m, bid=opened, criterion=1, points=Decimal(p))
    return session


def test_expert_favouring_one_bidder_in_two_sessions_fires(regions, specialties):
    from tests.evaluation.conftest import make_experts

    spec = next(iter(specialties.values()))
    experts = make_experts(3, specialties=[spec])
    favoured, other = make_org("bidder", "511921"), make_org("bidder", "511921")
    for _ in range(2):
        _session_with_scores(tender_in("511921"), experts, {favoured: ["90", "60", "62"], other: ["60", "61", "60"]}, spec)
    found = alerts.expert_favour()
    assert len(found) == 1
    ev = found[0]["evidence"]
    assert (ev["expert_id"], ev["organization_id"]) == (experts[0].pk, favoured.pk)
    assert len(ev["sessions"]) == 2 and found[0]["region_code"] == "511921"


def test_expert_favour_silent_once_or_within_twenty_percent(regions, specialties):
    from tests.evaluation.conftest import make_experts

    spec = next(iter(specialties.values()))
    experts = make_experts(3, specialties=[spec])
    org = make_org("bidder", "511921")
    _session_with_scores(tender_in("511921"), experts, {org: ["90", "60", "62"]}, spec)  # once only
    _session_with_scores(tender_in("511921"), experts, {org: ["72", "60", "62"]}, spec)  # +18 %
    assert alerts.expert_favour() == []


# --- storing, the command, the pages ---------------------------------------------------------------

def test_scan_stores_once_and_command_prints_steps(regions):
    tender = tender_in("511921")
    opened_bid(tender, price=10_000_000, files=["a" * 64])
    opened_bid(tender, price=10_000_001, files=["a" * 64])
    type(tender).objects.filter(pk=tender.pk).update(bid_deadline=timezone.now() - datetime.timedelta(hours=1))
    out = StringIO()
    call_command("scan_alerts", stdout=out)
    assert f"{tender.code} same_file: 1 new" in out.getvalue() and "done: 2 new alerts" in out.getvalue()
    assert sorted(Alert.objects.values_list("rule", flat=True)) == ["close_prices", "same_file"]
    out = StringIO()
    call_command("scan_alerts", stdout=out)
    assert "done: 0 new alerts" in out.getvalue() and Alert.objects.count() == 2


@pytest.fixture
def county_alerts(regions):
    tongjiang = Alert.objects.create(rule="same_file", subject_key="TJ-ALERT-1:x", tender_ref="TJ-ALERT-1", region_code="511921",
                                     evidence={"sha256": "TONGJIANG-EVIDENCE"})
    nanjiang = Alert.objects.create(rule="same_file", subject_key="NJ-ALERT-2:y", tender_ref="NJ-ALERT-2", region_code="511922",
                                    evidence={"sha256": "NANJIANG-EVIDENCE"})
    return tongjiang, nanjiang


def test_county_regulator_sees_only_own_county(client, county_alerts):
    tongjiang, nanjiang = county_alerts
    regulator = make_user("regulator", "511921")
    client.force_login(regulator)
    page = client.get(reverse("evaluation:alert_list")).content.decode()
    assert "TJ-ALERT-1" in page and "NJ-ALERT-2" not in page
    detail = client.get(reverse("evaluation:alert_detail", args=[tongjiang.pk])).content.decode()
    assert "TONGJIANG-EVIDENCE" in detail and "/ledger/?tender=TJ-ALERT-1" in detail
    assert client.get(reverse("evaluation:alert_detail", args=[nanjiang.pk])).status_code == 404
    before = Entry.objects.count()
    assert client.post(reverse("evaluation:alert_review", args=[nanjiang.pk]), {"note": "x"}).status_code == 404
    nanjiang.refresh_from_db()
    assert nanjiang.reviewed_at is None and Entry.objects.count() == before

    city = make_user("regulator", "511900")
    client.force_login(city)
    page = client.get(reverse("evaluation:alert_list")).content.decode()
    assert "TJ-ALERT-1" in page and "NJ-ALERT-2" in page


def test_staff_and_bidders_see_no_alerts(client, county_alerts):
    for role in ("staff", "bidder"):
        client.force_login(make_user(role, "511921"))
        assert client.get(reverse("evaluation:alert_list")).status_code == 403
        assert client.get(reverse("evaluation:alert_detail", args=[county_alerts[0].pk])).status_code == 403
        assert client.post(reverse("evaluation:alert_review", args=[county_alerts[0].pk]), {"note": "x"}).status_code == 403
    assert Alert.objects.filter(reviewed_at__isnull=False).count() == 0


def test_review_is_logged_and_refusals_change_nothing(client, county_alerts):
    from accounts.errors import DomainError

    tongjiang, _nanjiang = county_alerts
    regulator, nanjiang_regulator = make_user("regulator", "511921"), make_user("regulator", "511922")
    before = Entry.objects.count()
    with pytest.raises(DomainError) as err:
        alerts.mark_reviewed(actor=regulator, alert_id=tongjiang.pk, note="  ")
    assert err.value.code == "note_required"
    tongjiang.refresh_from_db()
    assert tongjiang.reviewed_at is None and Entry.objects.count() == before
    with pytest.raises(DomainError) as err:
        alerts.mark_reviewed(actor=nanjiang_regulator, alert_id=tongjiang.pk, note="看过")
    assert err.value.code == "permission_denied" and Entry.objects.count() == before

    client.force_login(regulator)
    response = client.post(reverse("evaluation:alert_review", args=[tongjiang.pk]), {"note": "已核查，报价巧合"})
    assert response.status_code == 302
    tongjiang.refresh_from_db()
    assert tongjiang.reviewed_by == regulator and tongjiang.review_note == "已核查，报价巧合"
    entry = Entry.objects.order_by("-seq").first()
    assert (entry.action, entry.region_code, entry.tender_ref) == ("alert.reviewed", "511921", "TJ-ALERT-1")
    with pytest.raises(DomainError) as err:
        alerts.mark_reviewed(actor=regulator, alert_id=tongjiang.pk, note="again")
    assert err.value.code == "already_reviewed" and Entry.objects.count() == before + 1
    assert Alert.objects.count() == 2  # nothing is deleted
