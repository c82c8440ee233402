"""The demo evaluation (`manage.py load_demo_session`, which `make run` runs after load_demo and
load_demo_experts): the tender that load_demo opened six days before start-up gets, at start-up, a
remote draw of five experts in three venues and its evaluation session, open at check-in, so that a
newcomer can carry it to the signed report alone, one browser window per person.

Everything goes through the real actions: staff request the draw, the regulator gives a random secret,
the drawn experts answer with the one-time codes of their texts. The texts never leave the machine (the
demo pool's phone numbers are made up): they are kept here, and the demo answers for the experts. Only
experts with a demo account (expert1…expert9) can sign in, so the others decline and the draw replaces
them from the same seed, as it would replace any decline; the committee is five demo accounts.

The check-in codes are secrets the platform keeps only as hashes: the loader prints them when it makes
them and writes them to VAR_DIR/demo/evaluation.txt (mode 0600), nowhere else.
"""

import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.test.utils import override_settings

from accounts import demo as accounts_demo
from accounts.models import User
from trading.models import OpenedBid, Tender

from .actions import draw as draw_actions
from .actions import session as session_actions
from .models import Draw, EvaluationSession, Seat, Venue

# trading.demo's tender "evaluation" (opened in load_demo's replay, in 通江县).
TENDER_TITLE = "通江县城区供水管网改造工程"
HOST = accounts_demo.STAFF_USERS["511921"]
REGULATOR = "tongjiang_regulator"
SPECIALTY = "ECO-CST"  # 工程造价: seven of the demo accounts' pool experts hold it
# (venue of evaluation.demo.VENUES, experts seated there); the first is the main venue (主场).
VENUES = [("通江县评标室一", 2), ("南江县远程评标分会场", 2), ("平昌县评标室二", 1)]
DECLINE_REASON = "演示:该专家没有演示账号,无法登录评标"
CODE = re.compile(r"\b\d{6}\b")
LINK = re.compile(r"/evaluation/draws/answer/([-\w]+)/")


class DemoError(Exception):
    pass


class DemoTexts:
    """The SMS backend while the demo draws: keeps the texts for the loader and sends nothing."""

    sent = []

    def send(self, phone, text):
        DemoTexts.sent.append((phone, text))


@dataclass(frozen=True)
class Loaded:
    session: EvaluationSession
    text: str  # the walk-through, as printed and written
    path: Path


def walkthrough_path():
    return Path(settings.VAR_DIR) / "demo" / "evaluation.txt"


def _draw_tag(draw):
    # Names the draw of one database (the platform's commitment to its random secret, public in the trading
    # log): a walk-through file left by another database is not reprinted.
    return f"draw {draw.pk} · commitment {draw.platform_commitment[:16]}"


def _seat_code(seat, text):
    """The one-time code of `seat` in its text: the six digits whose digest the seat keeps."""
    for candidate in CODE.findall(text):
        if seat.code_hash == draw_actions._code_digest(seat.pk, candidate):
            return candidate
    raise DemoError(f"no code for seat {seat.pk} in its text")


def _answer_texts(demo_user_ids, codes):
    """Answer every text sent so far that is not answered yet: demo accounts accept, the others decline."""
    while DemoTexts.sent:
        _phone, text = DemoTexts.sent.pop(0)
        match = LINK.search(text)
        if match is None:
            raise DemoError(f"a draw text without its link: {text}")
        seat = Seat.objects.select_related("expert").get(link_token=match.group(1))
        code = _seat_code(seat, text)
        accept = seat.expert.user_id in demo_user_ids
        if accept:
            codes[seat.pk] = code
        # A decline draws a replacement, whose text lands in DemoTexts.sent: the loop answers it too.
        draw_actions.respond_to_seat(seat_id=seat.pk, code=code, accept=accept,
                                     reason="" if accept else DECLINE_REASON)


def _draw(tender, host, regulator, venues):
    """The committee of demo experts: a remote draw, answered; returns (draw, {seat id: code})."""
    demo_user_ids = set(User.objects.filter(username__in=[u for u, _n in accounts_demo.EXPERTS])
                        .values_list("pk", flat=True))
    requirements = [{"specialty": SPECIALTY, "count": n, "venue": venue.pk, "main": i == 0, "offsite": False}
                    for i, (venue, n) in enumerate(venues)]
    codes = {}
    DemoTexts.sent.clear()
    with override_settings(SMS_BACKEND=f"{__name__}.DemoTexts"):
        draw = draw_actions.request_draw(actor=host, tender_id=tender.pk, committee_size=sum(n for _v, n in venues),
                                         tenderer_representatives=0, requirements=requirements, remote=True)
        draw_actions.contribute_regulator_secret(actor=regulator, draw_id=draw.pk, secret_hex=secrets.token_hex(32))
        _answer_texts(demo_user_ids, codes)
    draw.refresh_from_db()
    if draw.status != Draw.Status.COMPLETE:
        raise DemoError(f"the demo draw did not complete: {draw.status} {draw.failure_reason}")
    return draw, codes


def _pad(text, width):
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - columns, 1)


def _render(session, draw, codes, declined):
    tender = session.tender
    order = [v for v, _n in _venues()]
    by_venue = {v.pk: [] for v in order}
    # Until checked in, an expert is "委员 n" on the session page: n counts the members in id order.
    numbered = list(session.members.select_related("user", "expert").order_by("id"))
    for n, m in sorted(enumerate(numbered, start=1), key=lambda item: item[1].user.username):
        by_venue[m.venue_id].append((n, m))
    bidders = ", ".join(sorted(set(OpenedBid.objects.filter(bid__tender=tender, outcome=OpenedBid.Outcome.OPENED)
                                   .values_list("bid__organization__members__username", flat=True))))
    lines = [
        f"Demo evaluation: {tender.code} {tender.title}, session {session.pk} open at check-in",
        f"  {settings.SITE_URL}/evaluation/sessions/{session.pk}/   ({_draw_tag(draw)})",
        "  One browser window per person, each signed in on its own (private windows or browser profiles);",
        f"  password for all: {accounts_demo.DEMO_PASSWORD}.",
        "  Venue, its host (staff of its county), and the experts seated there: the host types at check-in,",
        "  in the page's form of 委员 n, the expert's one-time code and the ID card's last four characters",
    ]
    for venue in order:
        role = "main venue (主场): hosts the session" if venue.pk == session.main_venue_id else "sub-venue (副场)"
        lines.append(f"    {_pad(venue.name, 22)}{_pad(accounts_demo.STAFF_USERS[venue.region.code], 17)}{role}")
        for n, m in by_venue[venue.pk]:
            lines.append(f"      {_pad(m.user.username, 9)}{_pad(m.expert.name, 8)}{_pad(f'委员 {n}', 9)}"
                         f"code {codes[m.seat_id]}   ID last four {m.expert.id_last4}")
    lines += [
        f"  1. The hosts check their experts in; {HOST} starts the session.",
        "  2. Each expert signs the commitment (承诺书) and votes for a leader.",
        "  3. Each expert reviews every bid's qualification and submits; the leader (or the host) closes it.",
        "  4. Each expert scores the bids (the price score is computed) and submits the sheet.",
        "  5. The leader closes the review; each expert agrees to the ranking (or writes a dissent); the",
        "     leader moves on to signing; every expert signs; the platform seals the report (its task",
        "     worker) and the session closes.",
        f"  {REGULATOR} watches, read-only. The leader may ask a bidder ({bidders}) a",
        "  clarification, which the bidder answers at /evaluation/clarifications/.",
    ]
    if declined:
        lines.append(f"  ({declined} drawn pool experts have no demo account: they declined and the draw replaced "
                     "them from the same seed.)")
    return "\n".join(lines) + "\n"


def _venues():
    return [(Venue.objects.select_related("region").get(name=name), n) for name, n in VENUES]


def _write(text):
    path = walkthrough_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    path.chmod(0o600)
    return path


def saved_walkthrough(session):
    """The walk-through written when this database's session was made, or None (the file is missing or
    belongs to another database: the codes cannot be recovered, the platform keeps their hashes only)."""
    path = walkthrough_path()
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    return text if _draw_tag(session.draw) in text else None


def load():
    """Draw the committee and open the session; returns Loaded, or the session already there (a second
    run changes nothing). Raises DemoError when load_demo and load_demo_experts have not run."""
    tender = Tender.objects.filter(title=TENDER_TITLE).first()
    if tender is None:
        raise DemoError(f"no demo tender {TENDER_TITLE}: run `manage.py load_demo` first")
    session = EvaluationSession.objects.filter(tender=tender).first()
    if session is not None:
        return session
    if tender.status != Tender.Status.OPENED:
        raise DemoError(f"the demo tender {tender.code} is {tender.status}, not opened")
    if tender.draws.exclude(status=Draw.Status.FAILED).exists():
        raise DemoError(f"the demo tender {tender.code} has a draw but no session (an earlier load stopped "
                        "half-way): its check-in codes are gone; load the demo into a new database")
    try:
        venues = _venues()
    except Venue.DoesNotExist:
        raise DemoError("the demo venues are missing: run `manage.py load_demo_experts` first") from None
    host, regulator = User.objects.get(username=HOST), User.objects.get(username=REGULATOR)
    draw, codes = _draw(tender, host, regulator, venues)
    session = session_actions.open_session(actor=host, tender_id=tender.pk)
    declined = draw.seats.filter(status=Seat.Status.DECLINED).count()
    text = _render(session, draw, codes, declined)
    return Loaded(session, text, _write(text))

