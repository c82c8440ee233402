"""The role matrix's world: one of each role around tenders in every state that a route acts on.

Built through the same actions and HTTP calls the platform uses (tests/factories.py,
tests/trading/bidding.py), so every row has its trading-log entry. The tenders are in 通江县 (511921):

- `open`: published, bidding open (deadline in 30 days); `bidder` has a bid on it (with its receipt
  PDF) and two unfinished uploads (one complete, ready to finalize; one empty); an objection by a
  bidder outside the matrix waits for the tenderer's answer.
- `draft`: the tenderer's draft; `submitted`: awaiting review, custodians chosen.
- `opened`: tendered 40 days ago, its deadline passed 10 days ago, opened: decrypted bid files exist.
- `evaluating`: opened like `opened`, its committee drawn and complete (`exp` sits on it) and its evaluation
  session open (`ids["session"]`), carried to the qualification review with `exp` as its leader, who asked
  `bid`'s company for two clarifications (`ids["clarification_open"]`, and `ids["clarification_answered"]`,
  answered with a file).
"""

import base64
import datetime
from dataclasses import dataclass, field

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import actions as account_actions
from accounts.credit_code import make_code
from sealedbid import ceremony
from sealedbid.keys import BidderKeys
from tests.factories import make_custodians, make_tender, make_user, pdf_file, register_bidder_keys
from tests.trading.bidding import finalize, sealed_bid, upload
from trading import actions
from trading.actions.opening import open_bids, release_share, start_opening
from trading.actions.receipt_pdf import produce_receipt_pdf
from trading.models import BidUpload, OpenedFile, TenderCustodian

COUNTY, OTHER_COUNTY, CITY = "511921", "511922", "511900"

# Column order of the matrix (short labels, see ROLE_LABELS in the test).
ROLES = ["anon", "bid", "bid2", "unver", "tend", "tend2", "stH", "stE", "stC", "cust", "exp", "regH", "regC"]


@dataclass
class World:
    users: dict
    tenders: dict
    ids: dict = field(default_factory=dict)
    cookies: dict = field(default_factory=dict)

    def client(self, role):
        client = Client(raise_request_exception=False)
        if role != "anon":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.cookies[role]
        return client


def _verified(user, by):
    from accounts.models import Organization

    if Organization.objects.filter(pk=user.organization_id, verified_at__isnull=True).exists():
        account_actions.verify_organization(actor=by, organization_id=user.organization_id)
    return user


def _verified_bidder(by):
    """A bidder whose company staff have verified, with its keys registered (only then may it bid)."""
    bidder = _verified(make_user("bidder", CITY), by)
    signing, encryption = register_bidder_keys(bidder)
    bidder.keys = BidderKeys(signing=signing, encryption=encryption)
    return bidder


def _publish(owner, staff, custodians, **terms):
    tender = make_tender(owner, COUNTY, **terms)
    actions.set_custodians(actor=staff, tender_id=tender.pk, user_ids=[c.pk for c in custodians], threshold=2)
    actions.submit_tender(actor=owner, tender_id=tender.pk)
    actions.approve_tender(actor=staff, tender_id=tender.pk)
    tender.refresh_from_db()
    return tender


def _bid(tender, bidder, client):
    data, digest = sealed_bid(tender, bidder, files=[("投标文件.pdf", b"%PDF-1.7 bid " * 100)])
    client.force_login(bidder)
    response = finalize(client, upload(client, tender, data), digest)
    assert response.status_code == 201, response.content
    return response.json()


def _share(tender, custodian):
    row = TenderCustodian.objects.get(tender=tender, user=custodian)
    return base64.b64encode(ceremony.decrypt_share(base64.b64decode(row.encrypted_share), custodian.private_key)).decode()


def _opened_tender(owner, staff, custodians, bidders, client, title="已开标标段"):
    """A tender already opened: tendered 40 days ago, three bids, deadline 10 days ago, opened now."""
    with time_machine.travel(timezone.now() - datetime.timedelta(days=40), tick=True):
        tender = _publish(owner, staff, custodians, title=title)
        for bidder in bidders:
            _bid(tender, bidder, client)
    start_opening(tender.pk)
    for custodian in custodians[:2]:
        release_share(actor=custodian, tender_id=tender.pk, share_b64=_share(tender, custodian))
    open_bids(tender.pk)
    return tender


def _evaluation_session(users, tender):
    """The live evaluation session of `tender` (opened): five experts of 工程造价 (the only ones holding it,
    so all five are drawn), `exp` among them, every seat accepted by its texted code, the session open."""
    from django.test import TestCase

    from accounts import sms
    from evaluation.actions import draw as draw_actions
    from evaluation.actions import session as session_actions
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties
    from tests.evaluation.conftest import make_experts
    from tests.evaluation.draw_setup import texted_codes
    from trading.actions.opening import close_opening

    ensure_specialties(Specialty)
    experts = make_experts(5, specialties=[Specialty.objects.get(code="ECO-CST")])
    experts[0].user = users["exp"]
    experts[0].save(update_fields=["user"])
    staff = users["stH"]
    sms.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the texts go out on commit
        close_opening(actor=staff, tender_id=tender.pk)
        draw = draw_actions.request_draw(
            actor=staff, tender_id=tender.pk, committee_size=5, tenderer_representatives=0,
            requirements=[{"specialty": "ECO-CST", "count": 5, "venue": None, "main": False, "offsite": False}])
        draw_actions.contribute_regulator_secret(actor=users["regH"], draw_id=draw.pk, secret_hex="5e" * 32)
    for expert in experts[1:]:
        expert.user = make_user("expert", CITY)
        expert.save(update_fields=["user"])
    codes = texted_codes()
    with TestCase.captureOnCommitCallbacks(execute=True):
        for seat_id, code in codes.items():
            draw_actions.respond_to_seat(seat_id=seat_id, code=code, accept=True)
        session = session_actions.open_session(actor=staff, tender_id=tender.pk)
    return session, codes


def _clarifications(world, session, codes):
    """Carry the session to the qualification review with `exp` its leader, who asks `bid`'s company twice:
    one request stays open, the other is answered with a file."""
    from evaluation.actions import clarify
    from evaluation.actions import session as session_actions
    from trading.models import OpenedBid

    users, sid = world.users, session.pk
    members = list(session.members.select_related("expert").order_by("id"))
    for m in members:
        session_actions.check_in(actor=users["stH"], session_id=sid, member=m.pk, code=codes[m.seat_id],
                                 id_last4=m.expert.id_last4)
    session_actions.advance(actor=users["stH"], session_id=sid)
    leader = next(m for m in members if m.user_id == users["exp"].pk)
    for m in members:
        session_actions.sign_commitment(actor=m.user, session_id=sid, conflicts=[])
    for m in members:
        session_actions.vote_leader(actor=m.user, session_id=sid, member=leader.pk)
    bid = OpenedBid.objects.get(bid__tender=session.tender, bid__organization=users["bid"].organization)
    ask = {"actor": users["exp"], "session_id": sid, "bid": bid.pk, "minutes": 60}
    world.ids["clarification_open"] = clarify.ask_clarification(question="请澄清工期", **ask)["clarification"]
    answered = clarify.ask_clarification(question="请澄清报价组成", **ask)["clarification"]
    from accounts.models import Notice

    world.ids["notice"] = Notice.objects.filter(user=users["bid"]).latest("id").pk  # the request's notice
    clarify.answer_clarification(actor=users["bid"], clarification_id=answered, text="报价含税。",
                                 uploaded=pdf_file("澄清.pdf"))
    world.ids["clarification_answered"] = answered


def build_world(full=True, session=False):
    """`full=False` leaves out what only HTTP rows ask for (the opened tender, the receipt PDF); `session`
    keeps the evaluating tender and its session all the same (the session's socket asks for it)."""
    users = {
        "tend": make_user("tenderer", COUNTY, username="m_tenderer"),
        "tend2": make_user("tenderer", COUNTY, username="m_tenderer_other"),
        "stH": make_user("staff", COUNTY, username="m_staff_here"),
        "stE": make_user("staff", OTHER_COUNTY, username="m_staff_elsewhere"),
        "stC": make_user("staff", CITY, username="m_staff_city"),
        "exp": make_user("expert", CITY, username="m_expert"),
        "regH": make_user("regulator", COUNTY, username="m_regulator_here"),
        "regC": make_user("regulator", CITY, username="m_regulator_city"),
    }
    custodians = make_custodians(3)
    users["cust"] = custodians[0]
    users["bid"] = _verified_bidder(users["stC"])
    users["bid2"] = _verified_bidder(users["stC"])
    org, users["unver"] = account_actions.register_company(
        name="新注册公司", credit_code=make_code(f"91{COUNTY}MA0000001"), region_code=COUNTY,
        username="m_unverified", password="test-password-123")
    objector = _verified(make_user("bidder", CITY), users["stC"])
    extra = [_verified_bidder(users["stC"]) for _ in range(2 if full or session else 0)]
    client = Client()

    tend, staff = users["tend"], users["stH"]
    tenders = {"open": _publish(tend, staff, custodians), "draft": make_tender(tend, COUNTY)}
    tenders["submitted"] = make_tender(tend, COUNTY)
    actions.set_custodians(actor=staff, tender_id=tenders["submitted"].pk, user_ids=[c.pk for c in custodians],
                           threshold=2)
    actions.submit_tender(actor=tend, tender_id=tenders["submitted"].pk)
    if full:
        tenders["opened"] = _opened_tender(tend, staff, custodians, [users["bid"], *extra], client)
    if full or session:
        tenders["evaluating"] = _opened_tender(tend, staff, custodians, [users["bid"], *extra], client, title="评标中标段")

    world = World(users, tenders)
    if full or session:
        session, codes = _evaluation_session(users, tenders["evaluating"])
        world.ids["session"] = session.pk
        _clarifications(world, session, codes)
    tender = tenders["open"]
    bid = _bid(tender, users["bid"], client)
    world.ids["bid"] = bid["id"]
    if full:
        world.ids["receipt"] = produce_receipt_pdf(bid["id"])
    data, digest = sealed_bid(tender, users["bid"], price=9_700_000_00)
    world.ids["upload_full"], world.ids["upload_full_sha256"] = upload(client, tender, data), digest
    world.ids["upload_empty"] = str(actions.create_upload(actor=users["bid"], tender_id=tender.pk, size=4096).id)
    world.ids["document"] = tender.documents.get().pk
    from trading.announce.pdf import produce_announcement_pdf
    from trading.models import Announcement

    world.ids["announcement"] = Announcement.objects.get(tender=tender, kind="tender").pk  # approve_tender's own
    produce_announcement_pdf(world.ids["announcement"])
    world.ids["objection"] = actions.raise_objection(actor=objector, tender_id=tender.pk, text="对资格条件有异议").pk
    world.ids["project"] = tenders["draft"].project_id
    from trading.actions import green

    world.ids["green_requested"] = green.request_green_channel(
        actor=tend, project_id=tenders["submitted"].project_id, reason="major_investment",
        investment_fen=500_000_000_00, evidence=pdf_file("立项批复.pdf"), explanation="省重点项目").pk
    approved = green.request_green_channel(
        actor=tend, project_id=tender.project_id, reason="public_welfare", investment_fen=80_000_000_00,
        evidence=pdf_file("立项批复.pdf"), explanation="重点民生项目")
    world.ids["green_approved"] = green.decide_green_channel(
        actor=staff, request_id=approved.pk, approve=True, reason="符合条件", officer_id=staff.pk,
        deputy_id=users["stC"].pk).pk
    from evaluation.models import Alert

    world.ids["alert"] = Alert.objects.create(rule="close_prices", subject_key="matrix", tender_ref=tender.code,
                                              region_code=COUNTY, evidence={"prices": [100, 100]}).pk
    world.ids["unverified_org"] = org.pk
    world.ids["token"] = account_actions.create_api_token(actor=users["bid"], name="笔记本")[0].pk
    if full:
        world.ids["opened_file"] = OpenedFile.objects.filter(opened__bid__tender=tenders["opened"],
                                                         opened__bid__organization=users["bid"].organization).first().pk
    if full:
        _service_items(world, users, tenders)
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        world.cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return world


def uploads_state(world):
    """Uploads write no log entry: their rows are the state a refused upload call must leave alone."""
    return sorted(BidUpload.objects.values_list("id", "received", "status"))


def _service_items(world, users, tenders):
    """For the service routes: two 不满意 ratings by the tenderer (the reviews of the opened and the evaluating
    tender) and the overdue items a scan 60 days on finds; the first rating is answered, so its item may be
    closed; the open tender's review is left to rate."""
    import datetime

    from django.utils import timezone

    from ledger.models import Entry
    from service import actions as service_actions
    from service.models import OverdueItem

    def published(key):
        return Entry.objects.get(action="tender.published", tender_ref=tenders[key].code).seq

    ratings = [service_actions.rate_service(actor=users["tend"], entry_seq=published(key), grade="dissatisfied",
                                            comment="审核意见不清") for key in ("opened", "evaluating")]
    service_actions.scan_overdue(now=timezone.now() + datetime.timedelta(days=60))
    service_actions.answer_rating(actor=users["stH"], rating_id=ratings[0].pk, answer="已电话说明")
    world.ids["rating"] = ratings[1].pk
    world.ids["overdue"] = OverdueItem.objects.get(rating=ratings[0]).pk
    world.ids["service_entry"] = published("open")
