"""An evaluation session ready to run, and a driver that carries it to any stage through the real actions.

    scene = session_scene(opened_tender, expert_pool)           # 5 experts in 3 venues, session open
    scene.to_stage("scoring")                                    # check-in … qualification, all pass

`scene.session`, `.tender`, `.host` (staff of 511921, the main venue's county), `.venue_staff`
({venue id: staff user of that venue's county}), `.regulator`, `.bidders` (bidder users, one per bid),
`.bids` (OpenedBid, submission order), `.members` (Member, seat order), `.users` ({member id: User}),
`.codes` ({member id: the one-time code of the expert's text}), `.experts` (Expert, the committee's).
Works in plain and transactional database tests (texts are sent on commit; they are captured here).
"""

from dataclasses import dataclass, field

from django.test import TestCase

from accounts import sms
from evaluation.actions import draw as draw_actions
from evaluation.actions import review
from evaluation.actions import session as session_actions
from evaluation.models import EvaluationSession, Member, Venue
from tests.evaluation.draw_setup import REGULATOR_SECRET, texted_codes
from tests.factories import make_user
from trading.models import OpenedBid

STAGES = ["check_in", "commitments", "leader", "qualification", "scoring", "review", "ranking", "signing"]
# (region of the venue, experts seated there): the main venue in the tender's county, two sub-venues.
DEFAULT_VENUES = [("511921", 2), ("511922", 2), ("511923", 1)]


@dataclass
class SessionScene:
    opened: object  # the opened-tender scene (tests/realtime/opening_setup.py)
    session: EvaluationSession
    venues: list
    venue_staff: dict
    codes: dict = field(default_factory=dict)

    @property
    def tender(self):
        return self.opened.tender

    @property
    def host(self):
        return self.opened.host

    @property
    def regulator(self):
        return self.opened.regulator

    @property
    def bidders(self):
        return self.opened.bidders

    @property
    def bids(self):
        return list(OpenedBid.objects.filter(bid__tender=self.tender, outcome="opened")
                    .order_by("bid__submitted_at", "bid_id"))

    @property
    def members(self):
        return list(Member.objects.filter(session=self.session, removed_at__isnull=True).order_by("id"))

    @property
    def users(self):
        return {m.pk: m.user for m in self.members}

    @property
    def experts(self):
        return [m.expert for m in self.members]

    def refresh(self):
        self.session.refresh_from_db()
        return self.session

    # --- the driver ------------------------------------------------------------------------------------

    def check_in_all(self):
        for m in self.members:
            if m.checked_in_at is None:
                session_actions.check_in(actor=self.host, session_id=self.session.pk, member=m.pk,
                                         code=self.codes[m.pk], id_last4=m.expert.id_last4)

    def to_stage(self, stage, *, fail=(), points=None):
        """Run the actions up to `stage`. `fail`: bid ids every member fails on criterion 0 (with a
        reason). `points(member, bid, criterion_index, weight)` → points as a string (default 80 % of the
        weight, minus the member's position in hundredths)."""
        target = STAGES.index(stage)
        s = self.refresh()
        sid = s.pk
        if STAGES.index(s.stage) < 1 <= target:
            self.check_in_all()
            session_actions.advance(actor=self.host, session_id=sid)
        if STAGES.index(self.refresh().stage) < 2 <= target:
            for m in self.members:
                if m.committed_at is None:
                    session_actions.sign_commitment(actor=m.user, session_id=sid, conflicts=[])
        if STAGES.index(self.refresh().stage) < 3 <= target:
            first = self.members[0]
            for m in self.members:
                session_actions.vote_leader(actor=m.user, session_id=sid, member=first.pk)
        if STAGES.index(self.refresh().stage) < 4 <= target:
            n = len(self.refresh().terms["qualification_criteria"])
            for m in self.members:
                for b in self.bids:
                    for i in range(n):
                        failing = b.pk in fail and i == 0
                        review.vote_qualification(actor=m.user, session_id=sid, bid=b.pk, criterion=i,
                                                  passed=not failing, reason="资质证书过期" if failing else "")
                review.submit_qualification(actor=m.user, session_id=sid)
            session_actions.advance(actor=self.leader_user(), session_id=sid)
        if STAGES.index(self.refresh().stage) < 5 <= target:
            self.score_all(points)
        if STAGES.index(self.refresh().stage) < 6 <= target:
            session_actions.advance(actor=self.leader_user(), session_id=sid)
        if STAGES.index(self.refresh().stage) < 7 <= target:
            for m in self.members:
                review.agree_ranking(actor=m.user, session_id=sid)
            session_actions.advance(actor=self.leader_user(), session_id=sid)
        assert self.refresh().stage == stage, (self.session.stage, stage)
        return self.session

    def score_all(self, points=None):
        s = self.refresh()
        qualified = [r.bid_id for r in s.results.filter(qualified=True)]
        for position, m in enumerate(self.members):
            for b in qualified:
                for i, c in enumerate(s.terms["criteria"]):
                    if c["kind"] == "price":
                        continue
                    value = points(m, b, i, c["weight"]) if points else f"{c['weight'] * 0.8 - position / 100:.2f}"
                    review.set_score(actor=m.user, session_id=s.pk, bid=b, criterion=i, points=value)
            review.submit_sheet(actor=m.user, session_id=s.pk)

    def leader_user(self):
        return Member.objects.get(pk=self.refresh().leader_id).user


def make_venues(regions=DEFAULT_VENUES):
    """[(Venue, its county's staff user)] with enough seats."""
    from accounts.models import Region

    out = []
    for code, _n in regions:
        region = Region.objects.get(code=code)
        venue = Venue.objects.create(name=f"{region.name}评标室", region=region, seats=20, address="")
        out.append((venue, make_user("staff", code)))
    return out


def session_scene(opened_tender, expert_pool, *, venues=DEFAULT_VENUES, specialty="ENG-BLD", open_session=True,
                  terms=None):
    """A complete remote draw for `opened_tender` (fixture of tests/evaluation/conftest.py) with experts
    (who have accounts) seated in `venues`, and — unless `open_session=False` — its session open.
    `terms`: Tender.evaluation_terms to set before the session opens."""
    made = make_venues(venues)
    size = sum(n for _code, n in venues)
    experts = expert_pool(size * 3, specialties=(specialty,))
    for expert in experts:
        expert.user = make_user("expert", "511900")
        expert.save(update_fields=["user"])
    tender = opened_tender.tender
    if terms is not None:
        type(tender).objects.filter(pk=tender.pk).update(evaluation_terms=terms)
    requirements = [{"specialty": specialty, "count": n, "venue": venue.pk, "main": i == 0, "offsite": False}
                    for i, ((venue, _staff), (_code, n)) in enumerate(zip(made, venues, strict=True))]
    sms.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        draw = draw_actions.request_draw(actor=opened_tender.host, tender_id=tender.pk, committee_size=size,
                                         tenderer_representatives=0, requirements=requirements, remote=True)
        draw_actions.contribute_regulator_secret(actor=opened_tender.regulator, draw_id=draw.pk,
                                                 secret_hex=REGULATOR_SECRET)
    codes = texted_codes()
    with TestCase.captureOnCommitCallbacks(execute=True):
        for seat_id, code in codes.items():
            draw_actions.respond_to_seat(seat_id=seat_id, code=code, accept=True)
    draw.refresh_from_db()
    assert draw.status == "complete", draw.status
    session = None
    if open_session:
        with TestCase.captureOnCommitCallbacks(execute=True):
            session = session_actions.open_session(actor=opened_tender.host, tender_id=tender.pk)
    scene = SessionScene(opened_tender, session, [v for v, _s in made], {v.pk: s for v, s in made})
    if session is not None:
        scene.codes = {m.pk: codes[m.seat_id] for m in Member.objects.filter(session=session)}
    scene.seat_codes = codes
    return scene


def accept_replacements(scene):
    """Answer the texts sent since the last call (replacement seats) with 'accept'; returns their seat ids.
    Their codes are added to scene.codes once the session has their members."""
    codes = texted_codes()
    new = {seat: code for seat, code in codes.items() if seat not in scene.seat_codes}
    with TestCase.captureOnCommitCallbacks(execute=True):
        for seat_id, code in new.items():
            draw_actions.respond_to_seat(seat_id=seat_id, code=code, accept=True)
    scene.seat_codes.update(new)
    scene.codes = {m.pk: scene.seat_codes[m.seat_id] for m in Member.objects.filter(session=scene.session)}
    return list(new)
