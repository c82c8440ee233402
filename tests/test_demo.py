"""`manage.py load_demo` (what `make run` runs): on a new database with the key files of an earlier one,
run again on the same database, its tender opened days ago and ready for the expert draw, and the demo
keys it makes and mends; then `load_demo_session`: the demo evaluation open at check-in, whose printed
walk-through checks its experts in."""

import datetime
import io
import re
import stat

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.actions import register_public_key
from accounts.models import Organization, PublicKey, User
from evaluation import demo_session
from evaluation.actions import session as session_actions
from evaluation.actions.draw import request_draw
from evaluation.models import Draw, EvaluationSession, Member, Seat
from ledger import sequencer
from ledger.models import ChainHead, Entry
from sealedbid.keys import dump_key_file, fingerprint, load_key_file
from trading import demo_bids
from trading.models import Bid, OpenedBid, OpeningConfirmation, Tender, TenderCustodian

DEMO_USERS = demo_bids.CUSTODIANS + demo_bids.BIDDERS


def _head():
    """The log's head once what was committed is hashed (ledger.sequencer)."""
    sequencer.hash_pending()
    return ChainHead.objects.get()

def _fingerprints(key_file):
    keys = load_key_file(key_file.read_bytes())
    return {fingerprint(key) for _purpose, key in demo_bids._public_keys(keys)}


def _registered(username):
    return set(PublicKey.objects.filter(user__username=username, revoked_at__isnull=True)
               .values_list("fingerprint", flat=True))


def _files(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture
def old_key_files(tmp_path):
    """The demo key folder a previous database left behind (`rm var/db.sqlite3`, a new DATABASE_URL)."""
    folder = tmp_path / "keys"
    folder.mkdir()
    for name in DEMO_USERS:
        kind = "custodian" if name in demo_bids.CUSTODIANS else "bidder"
        (folder / f"{name}.json").write_bytes(dump_key_file(demo_bids.new_keys(kind)))
    return folder


@pytest.fixture
def reference_data(regions):
    """The rows data migrations make, which transactional tests flush: specialties and the holiday calendar."""
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties
    from tests.factories import seed_calendar
    from trading.models import CalendarYear

    ensure_specialties(Specialty)
    if not CalendarYear.objects.exists():
        seed_calendar()


# Transactional, as `make run` is: the draw texts the demo experts' codes on commit (load_demo_session).
@pytest.mark.django_db(transaction=True)
def test_it_loads_a_new_database_with_old_key_files_opens_a_tender_and_changes_nothing_when_run_again(
        platform_pki, reference_data, old_key_files, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    files = _files(old_key_files)
    sequencer.hash_pending()
    before = ChainHead.objects.values_list("seq", flat=True).first() or 0  # entries made before the demo

    call_command("load_demo", keys_dir=str(old_key_files), stdout=io.StringIO())

    # The key files are kept, and this database now knows exactly their public keys.
    assert _files(old_key_files) == files
    for name in DEMO_USERS:
        assert _registered(name) == _fingerprints(old_key_files / f"{name}.json"), name
    # Every demo bidder company is verified, so the demo bids were accepted: 3 + 2 + 3 + 3 + 3 sealed bids.
    bidder_orgs = Organization.objects.filter(kind="bidder")
    assert bidder_orgs.count() == 5
    assert list(bidder_orgs.filter(verified_at__isnull=True)) == []
    assert Tender.objects.count() == 13
    assert Bid.objects.filter(status="submitted").count() == 14
    assert Tender.objects.filter(status="opened").count() == 2
    opened = _assert_the_opened_tender_was_opened(before)

    head = _head()
    counts = (User.objects.count(), PublicKey.objects.count(), Tender.objects.count(), Bid.objects.count())
    out = io.StringIO()
    call_command("load_demo", keys_dir=str(old_key_files), stdout=out)

    assert "demo tenders already loaded" in out.getvalue()
    assert (_head().seq, _head().hash) == (head.seq, head.hash)
    assert (User.objects.count(), PublicKey.objects.count(), Tender.objects.count(), Bid.objects.count()) == counts
    assert _files(old_key_files) == files

    _assert_staff_of_its_region_can_request_a_draw(opened)
    _assert_the_evaluation_demo_is_open_at_check_in(before)


def _assert_the_opened_tender_was_opened(before):
    """The demo's opened tender went through the whole opening at its deadline, days before start-up."""
    opened = Tender.objects.get(status="opened", title="巴州区江北老旧小区改造工程(一期)")
    assert (opened.title, opened.region.code) == ("巴州区江北老旧小区改造工程(一期)", "511902")
    assert opened.bid_deadline < timezone.now() - datetime.timedelta(days=3)
    assert opened.opening.status == "closed"
    assert opened.opening.closed_by.username == "bazhou_staff"
    assert opened.opening.record.kind == "opening_record"
    assert sorted(OpenedBid.objects.filter(bid__tender=opened).values_list(
        "bid__organization__members__username", "outcome", "bid_letter__price")) == [
        ("bidder1", "opened", 956_000_000), ("bidder2", "opened", 942_000_000), ("bidder3", "opened", 969_000_000)]
    assert TenderCustodian.objects.filter(tender=opened, released_at__isnull=False).count() == 3
    assert OpeningConfirmation.objects.filter(tender=opened, kind="confirm").count() == 3
    # The replay kept the trading log in time order, the opening included.
    times = list(Entry.objects.filter(seq__gt=before).order_by("seq").values_list("created_at", flat=True))
    assert times == sorted(times)
    # The public announcements (issue 13: 招标公告, 开标记录) and their PDFs are checked apart.
    from trading.models import Announcement

    assert sorted(Announcement.objects.filter(tender=opened).values_list("kind", flat=True)) == [
        "opening_record", "tender"]
    actions = list(Entry.objects.filter(tender_ref=opened.code).exclude(action="announcement.published")
                   .exclude(action="record.signed", payload__contains="announcement").order_by("seq")
                   .values_list("action", flat=True))
    # Each bid's two events (upload created, submitted) are revealed at the deadline; 10 sign-ins: the host,
    # the city's regulator, the 5 custodians, the 3 bidders.
    assert actions[actions.index("tender.published"):] == [
        "tender.published", "tender.documents_open", "tender.documents_closed", "tender.bids_closed",
        *["bid.revealed"] * 6, "opening.started", *["opening.signed_in"] * 10,
        *["opening.share_released"] * 3, "opening.key_rebuilt", *["opening.bid_opened"] * 3, "opening.decrypted",
        *["opening.confirm"] * 3, "opening.closed", "record.signed"]
    return opened


def _assert_staff_of_its_region_can_request_a_draw(opened):
    """With the demo pool (make run loads it next), 巴州区's staff request the committee of five."""
    call_command("load_demo_experts", stdout=io.StringIO())

    draw = request_draw(actor=User.objects.get(username="bazhou_staff"), tender_id=opened.pk, committee_size=5,
                        tenderer_representatives=0, requirements=[{"specialty": "ENG-BLD", "count": 5}])

    assert draw.status == "committed"
    assert draw.requirements.get().count == 5


VENUE_LINE = re.compile(r"^ {4}(\S+) +(\w+_staff) +(main venue|sub-venue)", re.M)
EXPERT_LINE = re.compile(r"^ {6}(expert\d) +\S+ +委员 (\d) +code (\d{6}) +ID last four (\w{4})$", re.M)


def _walkthrough(text):
    """{venue name: (staff username, is main, [(expert username, number on the page, code, ID last four)])}
    of the printed text."""
    venues, current = {}, None
    for line in text.splitlines():
        if match := VENUE_LINE.match(line):
            current = venues.setdefault(match[1], (match[2], match[3] == "main venue", []))
        elif match := EXPERT_LINE.match(line):
            current[2].append(match.groups())
    return venues


def _assert_the_evaluation_demo_is_open_at_check_in(before):
    """load_demo_session (make run runs it after the pool): the second opened tender's remote draw is complete,
    five demo experts in three venues, its session open at check-in; with the printed walk-through each venue's
    staff check their experts in and the host starts. A second run changes nothing and reprints it."""
    out = io.StringIO()
    call_command("load_demo_session", stdout=out)

    session = EvaluationSession.objects.select_related("tender", "draw", "main_venue").get()
    tender, draw = session.tender, session.draw
    assert (tender.title, tender.region.code, tender.status) == ("通江县城区供水管网改造工程", "511921", "evaluating")
    assert (session.stage, draw.status, draw.remote) == ("check_in", "complete", True)
    assert session.opened_by.username == "tongjiang_staff"
    # Three venues, each in its own county: the main venue in the tender's.
    requirements = sorted((r.venue.region.code, r.is_main_venue, r.count) for r in draw.requirements.all())
    assert requirements == [("511921", True, 2), ("511922", False, 2), ("511923", False, 1)]
    assert (session.main_venue.name, session.main_venue.region.code) == ("通江县评标室一", "511921")
    # The committee is five demo accounts; the drawn pool experts without one declined and were replaced.
    members = list(Member.objects.filter(session=session).select_related("user", "expert", "venue__region"))
    demo_experts = {username for username, _name in accounts_demo.EXPERTS}
    assert len(members) == 5 and {m.user.username for m in members} <= demo_experts
    assert set(draw.seats.filter(status=Seat.Status.ACCEPTED).values_list("member__pk", flat=True)) == {
        m.pk for m in members}
    assert not draw.seats.filter(status=Seat.Status.DECLINED, expert__user__username__in=demo_experts).exists()
    assert not draw.seats.filter(status=Seat.Status.NOTIFIED).exists()

    # What it printed is what it wrote, in a file only its owner reads.
    path = demo_session.walkthrough_path()
    printed = out.getvalue()
    assert path.read_text(encoding="utf-8") in printed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"/evaluation/sessions/{session.pk}/" in printed
    venues = _walkthrough(printed)
    assert {name: (staff, main) for name, (staff, main, _e) in venues.items()} == {
        "通江县评标室一": ("tongjiang_staff", True), "南江县远程评标分会场": ("nanjiang_staff", False),
        "平昌县评标室二": ("pingchang_staff", False)}
    seated = {username: (venue, int(n)) for venue, (_s, _m, experts) in venues.items() for username, n, *_r in experts}
    ordered = sorted(members, key=lambda m: m.pk)  # the page numbers the members in id order
    assert seated == {m.user.username: (m.venue.name, ordered.index(m) + 1) for m in members}

    # A second run adds nothing and prints the same walk-through.
    head = _head()
    again = io.StringIO()
    call_command("load_demo_session", stdout=again)
    assert "demo evaluation already loaded" in again.getvalue()
    assert path.read_text(encoding="utf-8") in again.getvalue()
    assert (_head().seq, Draw.objects.count(), EvaluationSession.objects.count()) == (head.seq, 2, 1)

    # Each venue's staff check their experts in with the printed code and ID characters; the host starts.
    by_user = {m.user.username: m for m in members}
    for _venue, (staff, _main, experts) in venues.items():
        for username, _n, code, last4 in experts:
            session_actions.check_in(actor=User.objects.get(username=staff), session_id=session.pk,
                                     member=by_user[username].pk, code=code, id_last4=last4)
    session_actions.advance(actor=User.objects.get(username="tongjiang_staff"), session_id=session.pk)
    session.refresh_from_db()
    assert session.stage == "commitments"
    assert Member.objects.filter(session=session, checked_in_at__isnull=True).count() == 0

    # The draw and the session happened at start-up, after the replayed history: the log is in time order.
    times = list(Entry.objects.filter(seq__gt=before).order_by("seq").values_list("created_at", flat=True))
    assert times == sorted(times)

    # A walk-through file of another database is not reprinted: its codes would be wrong here.
    path.write_text(printed.replace(demo_session._draw_tag(draw), "draw 1 · commitment 0000000000000000"))
    other = io.StringIO()
    call_command("load_demo_session", stdout=other)
    assert "is not this database's" in other.getvalue()
    assert "code " not in other.getvalue()


@pytest.mark.django_db
def test_demo_keys_are_made_once_and_replaced_when_their_key_was_revoked(regions, tmp_path):
    accounts_demo.load()
    folder = tmp_path / "keys"

    made = demo_bids.ensure_keys(folder)

    assert sorted(made) == sorted(DEMO_USERS)
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{name}.json" for name in DEMO_USERS)
    for name in DEMO_USERS:
        assert stat.S_IMODE((folder / f"{name}.json").stat().st_mode) == 0o600
        assert _registered(name) == _fingerprints(folder / f"{name}.json")
    files = _files(folder)
    keys_before = PublicKey.objects.count()

    assert demo_bids.ensure_keys(folder)["bidder1"].path == folder / "bidder1.json"
    assert _files(folder) == files
    assert PublicKey.objects.count() == keys_before

    # bidder1's company registers another signing key in the platform: the file's key is revoked, so
    # the demo would sign with a key the platform refuses. The file is replaced and the new keys registered.
    bidder1 = User.objects.get(username="bidder1")
    replacement = demo_bids.new_keys("bidder").signing
    register_public_key(actor=bidder1, purpose="bid_signing", pem=replacement.public_key().export_key(format="PEM"))

    demo_bids.ensure_keys(folder)

    now = _files(folder)
    assert now.pop("bidder1.json.replaced") == files["bidder1.json"]  # kept, not destroyed
    assert now.pop("bidder1.json") != files.pop("bidder1.json")
    assert now == files
    assert _registered("bidder1") == _fingerprints(folder / "bidder1.json")
