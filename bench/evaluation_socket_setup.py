"""The rows bench_evaluation_socket.py measures against: n evaluation sessions at the scoring stage.

Written in bulk (a few queries per kind of row, not per row): tenders of 通江县 (511921) opened with 3 bids,
complete draws of 7 accepted experts who have accounts, 5 observers per session (staff of 511921, or
regulators). Each session is then opened by the real `open_session` (terms frozen, bid codes, results,
members, its first events) and moved to scoring as the stages before would leave it: every member checked
in and committed, a leader, every bid qualified with its price score. One login session per user.
"""

import datetime
import time
import uuid

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string

COUNTY = "511921"
CRITERIA = [{"name": "投标报价", "weight": 60, "kind": "price"}, {"name": "技术方案", "weight": 40, "kind": "technical"}]
BIDS = 3


def _users(prefix, n, role, region, organization=None):
    from accounts.models import RoleAssignment, User

    password = make_password(None)  # unusable: they sign in by the session cookie made below
    User.objects.bulk_create([User(username=f"{prefix}{i}", full_name=f"{prefix}{i}", password=password,
                                   organization=organization) for i in range(n)], batch_size=1000)
    users = list(User.objects.filter(username__startswith=prefix).order_by("id"))
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, role=role, region=region) for u in users],
                                       batch_size=1000)
    return users


def _cookies(users):
    """{user id: "sessionid=…"}: a login session per user, as `login()` would store it."""
    store, expire = SessionStore(), timezone.now() + datetime.timedelta(days=1)
    rows, cookies = [], {}
    backend = settings.AUTHENTICATION_BACKENDS[0]
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash()}
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        cookies[user.pk] = f"{settings.SESSION_COOKIE_NAME}={key}"
    Session.objects.bulk_create(rows, batch_size=1000)
    return cookies


def _tenders(n, region, owner, bidders):
    """n tenders opened a day ago, each with one opened bid per bidder (bid letter with a price)."""
    from trading.models import Bid, BidUpload, OpenedBid, Project, Tender

    now = timezone.now()
    day = datetime.timedelta(days=1)
    project = Project.objects.create(code=f"BENCH-EVSOCK-{uuid.uuid4().hex[:8]}", name="评标会话压测项目",
                                     region=region, category="works", owner=owner.organization, created_by=owner)
    Tender.objects.bulk_create([Tender(
        project=project, code=f"{project.code}-{i:03d}", title=f"评标会话压测标段{i}", region=region, category="works",
        status=Tender.Status.OPENED, estimated_price_fen=100_000_000, documents_from=now - 40 * day,
        documents_until=now - 30 * day, bid_deadline=now - day, venue="巴中市公共资源交易中心开标室",
        evaluation_method="comprehensive", criteria=CRITERIA, created_by=owner, published_at=now - 40 * day,
    ) for i in range(n)])
    tenders = list(Tender.objects.filter(project=project).order_by("id"))
    uploads, bids = [], []
    for t in tenders:
        for j, bidder in enumerate(bidders):
            upload = BidUpload(id=uuid.uuid4(), tender=t, organization=bidder.organization, user=bidder,
                               declared_size=1000, received=1000, status=BidUpload.Status.FINALIZED,
                               storage_name=f"bench/{t.pk}/{j}")
            uploads.append(upload)
            bids.append(Bid(tender=t, organization=bidder.organization, submitted_by=bidder, upload=upload,
                            envelope=f"bench/{t.pk}/{j}", size=1000, sha256="0" * 64, header={},
                            submitted_at=now - 2 * day + j * datetime.timedelta(minutes=1),
                            receipt_no=f"{t.code}-R{j}", receipt="{}", receipt_signature=""))
    BidUpload.objects.bulk_create(uploads, batch_size=1000)
    Bid.objects.bulk_create(bids, batch_size=1000)
    bids = list(Bid.objects.filter(tender__project=project).order_by("id"))
    OpenedBid.objects.bulk_create([OpenedBid(bid=b, outcome=OpenedBid.Outcome.OPENED, opened_at=now - day,
                                             bid_letter={"price": 90_000_000 + 1_000_000 * (k % BIDS)})
                                   for k, b in enumerate(bids)], batch_size=1000)
    return tenders


def _draws(tenders, experts_per, host, venue, specialty, experts):
    from evaluation.models import Draw, DrawRequirement, Seat

    now = timezone.now()
    Draw.objects.bulk_create([Draw(tender=t, status=Draw.Status.COMPLETE, committee_size=experts_per,
                                   requested_by=host, requested_at=now - datetime.timedelta(hours=2))
                              for t in tenders])
    draws = list(Draw.objects.filter(tender__in=tenders).order_by("tender_id"))
    DrawRequirement.objects.bulk_create([DrawRequirement(draw=d, specialty=specialty, venue=venue,
                                                         is_main_venue=True, count=experts_per) for d in draws])
    requirements = {r.draw_id: r for r in DrawRequirement.objects.filter(draw__in=draws)}
    Seat.objects.bulk_create([
        Seat(draw=d, requirement=requirements[d.pk], expert=experts[i * experts_per + j], counter=j,
             status=Seat.Status.ACCEPTED, notified_at=now - datetime.timedelta(hours=1),
             responded_at=now - datetime.timedelta(minutes=50))
        for i, d in enumerate(draws) for j in range(experts_per)], batch_size=1000)


def build_sessions(n, experts_per, observers, regulators):
    """The session specs the clients use: [{"index", "id", "bids", "criterion", "sockets": [{"k", "role",
    "cookie", "member"}]}], members first (k 0–6), then the observers."""
    from accounts.models import Region, Role
    from accounts.regions import ensure_regions
    from evaluation.actions.session import open_session, price_scores
    from evaluation.models import BidResult, EvaluationSession, Expert, Member, Specialty, Venue
    from evaluation.specialties import ensure_specialties
    from tests.factories import make_user

    ensure_regions(Region)
    ensure_specialties(Specialty)
    region = Region.objects.get(code=COUNTY)
    host, owner = make_user("staff", COUNTY), make_user("tenderer", COUNTY)
    bidders = [make_user("bidder", COUNTY) for _ in range(BIDS)]
    tenders = _tenders(n, region, owner, bidders)
    print(f"  {n} tenders, {n * BIDS} opened bids", flush=True)

    expert_users = _users("bench-expert-", n * experts_per, Role.EXPERT, region.parent or region)
    Expert.objects.bulk_create([Expert(name=f"专家{i:04d}", id_number=f"5119{i:014d}", phone=f"139{i:08d}",
                                       region=region.parent or region, title="高级工程师", user=u)
                                for i, u in enumerate(expert_users)], batch_size=1000)
    experts = list(Expert.objects.filter(user__in=expert_users).order_by("user_id"))
    venue = Venue.objects.create(name="通江县评标室", region=region, seats=20)
    specialty = Specialty.objects.filter(parent__isnull=False).order_by("code").first()
    _draws(tenders, experts_per, host, venue, specialty, experts)
    watchers = _users("bench-staff-", n * (observers - regulators), Role.STAFF, region, host.organization)
    watchers += _users("bench-regulator-", n * regulators, Role.REGULATOR, region)
    print(f"  {len(expert_users)} experts with accounts, complete draws; {len(watchers)} observers", flush=True)

    started = time.perf_counter()
    opened = [open_session(actor=host, tender_id=t.pk, main_venue_id=venue.pk) for t in tenders]
    print(f"  {n} sessions opened by open_session ({(time.perf_counter() - started) / n * 1000:.0f} ms each)",
          flush=True)
    now = timezone.now()
    Member.objects.filter(session__in=opened).update(checked_in_at=now, checked_in_by=host, committed_at=now,
                                                     qualification_submitted_at=now)
    BidResult.objects.filter(session__in=opened).update(qualified=True)
    members = {}
    for session_id, member_id, user_id in Member.objects.filter(session__in=opened).order_by("id").values_list(
            "session_id", "id", "user_id"):
        members.setdefault(session_id, []).append((member_id, user_id))
    for session in opened:
        results = list(session.results.all())
        scores = price_scores(session, results)
        for result in results:
            result.price_score = scores.get(result.bid_id)
        BidResult.objects.bulk_update(results, ["price_score"])
        EvaluationSession.objects.filter(pk=session.pk).update(
            stage=EvaluationSession.Stage.SCORING, leader_id=members[session.pk][0][0],
            stage_deadline=now + datetime.timedelta(hours=4))
    cookies = _cookies(expert_users + watchers)
    criterion = next(i for i, c in enumerate(CRITERIA) if c["kind"] != "price")
    staff_per, specs = observers - regulators, []
    for i, session in enumerate(opened):
        sockets = [{"role": "member", "member": m, "cookie": cookies[u]} for m, u in members[session.pk]]
        sockets += [{"role": "host", "member": None, "cookie": cookies[w.pk]}
                    for w in watchers[i * staff_per:(i + 1) * staff_per]]
        regs = watchers[n * staff_per:]
        sockets += [{"role": "regulator", "member": None, "cookie": cookies[w.pk]}
                    for w in regs[i * regulators:(i + 1) * regulators]]
        for k, spec in enumerate(sockets):
            spec["k"] = k
        bids = list(session.results.order_by("id").values_list("bid_id", flat=True))
        specs.append({"index": i, "id": session.pk, "bids": bids, "criterion": criterion, "sockets": sockets})
    return specs
