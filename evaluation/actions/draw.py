"""The expert draw (docs/architecture.md §10; 招标投标法 art. 37; 实施条例 art. 46): request, the regulator's secret,
answers, replacements, timeouts, the reveal and its verification.

Nobody can steer the committee: staff freeze the candidate list and the platform commits to its secret
(both hashes logged) before the regulator is asked for a second secret; the seed needs both, and the
picks are a pure function of the seed and the list (evaluation.draw, docs/expert-draw.md). Until the
reveal the log names no expert: each pick appears as a commitment to {draw, counter, expert, nonce}.
"""

import datetime
import json
import re
import secrets
from collections import Counter, defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.background import enqueue
from accounts.errors import DomainError, NotFound
from accounts.models import Notice, Region
from accounts.notices import notify
from accounts.permissions import check
from accounts.sms import send_sms
from ledger import chain
from realtime import groups
from realtime.events import send_event_on_commit
from trading.models import Bid, Tender

from .. import draw as procedure
from ..models import Draw, DrawRequirement, Exclusion, Expert, Seat, Specialty, Venue

MAX_COMMITTEE = 99
MAX_REQUIREMENTS = 30
MAX_CODE_ATTEMPTS = 5
MAX_REASON_CHARS = 200
HEX64 = re.compile(r"[0-9a-f]{64}")
S = Tender.Status
# 招标投标法 art. 37: the committee is formed for the evaluation, i.e. once the bids are opened.
DRAWABLE = {S.OPENED, S.EVALUATING, S.EVALUATED, S.PUBLICIZING, S.AWARDED}
# The secrets are revealed only once the evaluation is over (or the tender ended without one).
REVEALABLE = {S.EVALUATED, S.PUBLICIZING, S.AWARDED, S.FAILED, S.TERMINATED}
R = Exclusion.Reason


# --- helpers -------------------------------------------------------------------------------------------

def _log(action, actor, draw, payload, role=""):
    tender = draw.tender
    return chain.append(action, actor=actor, role=role, region=tender.region, tender_ref=tender.code,
                        payload={"draw": draw.pk, **payload})


def _changed(draw, action):
    # Statuses and counts only: anyone watching the tender may learn that the draw moved on.
    send_event_on_commit(groups.tender(draw.tender_id), "draw.changed",
                         {"draw": draw.pk, "tender": draw.tender_id, "status": draw.status, "action": action})


def _locked_tender(tender_id):
    try:
        return (Tender.objects.select_for_update(of=("self",)).select_related("region", "project__owner")
                .get(pk=tender_id))
    except (Tender.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such tender.")) from None


def _locked_draw(draw_id):
    try:
        return (Draw.objects.select_for_update(of=("self",)).select_related("tender__region", "tender__project")
                .get(pk=draw_id))
    except (Draw.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such draw.")) from None


def _code_digest(seat_id, code):
    # Keyed with SECRET_KEY like accounts' password-reset codes: the table alone gives no code away.
    return salted_hmac("evaluation.draw_seat", f"{seat_id}:{code}", algorithm="sha256").hexdigest()


def _requirement_label(specialty_code, venue_id):
    specialty = Specialty.objects.filter(code=specialty_code).select_related("parent").first()
    venue = Venue.objects.filter(pk=venue_id).first() if venue_id else None
    return (str(specialty) if specialty else specialty_code), (venue.name if venue else _("any venue"))


def _shortage_message(requirement, available):
    specialty, venue = _requirement_label(requirement["specialty"], requirement["venue"])
    return _("Not enough experts for %(specialty)s at %(venue)s: %(count)d needed, only %(available)d "
             "eligible candidates can be counted on.") % {
        "specialty": specialty, "venue": venue, "count": requirement["count"], "available": available}


# --- request: check, freeze the list, commit the platform's secret ----------------------------------------

def _positive_int(value, field, message):
    if isinstance(value, bool):
        raise DomainError("invalid_" + field, message, field=field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError("invalid_" + field, message, field=field) from None
    if number != value and str(number) != str(value).strip():
        raise DomainError("invalid_" + field, message, field=field)
    return number


def _check_committee(size, representatives):
    size = _positive_int(size, "committee_size", _("The committee size must be a whole number."))
    representatives = _positive_int(representatives, "tenderer_representatives",
                                    _("The number of the tenderer's representatives must be a whole number."))
    # 招标投标法 art. 37: five or more members, an odd number.
    if size < 5 or size % 2 == 0 or size > MAX_COMMITTEE:
        raise DomainError("committee_size", _("The committee must have an odd number of members, at least 5 "
                                              "(Bidding Law, art. 37)."), field="committee_size")
    # 招标投标法 art. 37: technical and economic experts are at least two thirds of the members.
    if representatives < 0 or representatives * 3 > size:
        raise DomainError("too_many_representatives", _(
            "At most one third of the committee may represent the tenderer: experts must be at least two "
            "thirds (Bidding Law, art. 37)."), field="tenderer_representatives")
    return size, representatives


def _check_requirements(requirements, experts_needed, remote):
    """Requirement rows → [{"specialty": Specialty, "venue": Venue|None, "main", "offsite", "count"}]."""
    bad = DomainError("invalid_requirements", _("Give each requirement a specialty and a number of experts."),
                      field="requirements")
    if not isinstance(requirements, list | tuple) or not requirements or len(requirements) > MAX_REQUIREMENTS:
        raise bad
    rows = []
    for item in requirements:
        if not isinstance(item, dict) or not isinstance(item.get("specialty"), str):
            raise bad
        count = _positive_int(item.get("count"), "requirements", bad.message)
        if count < 1:
            raise bad
        venue = item.get("venue")
        if venue in ("", None):
            venue = None
        else:
            venue = _positive_int(venue, "requirements", bad.message)
        rows.append({"specialty": item["specialty"].strip(), "venue": venue, "main": bool(item.get("main")),
                     "offsite": bool(item.get("offsite")), "count": count})
    leaves = {s.code: s for s in Specialty.objects.filter(code__in=[r["specialty"] for r in rows],
                                                          parent__isnull=False).select_related("parent")}
    for row in rows:
        if row["specialty"] not in leaves:
            raise DomainError("unknown_specialty", _("%(code)s is not a specialty of the taxonomy (choose a "
                                                     "specialty, not a category).") % {"code": row["specialty"]},
                              field="requirements")
        row["specialty"] = leaves[row["specialty"]]
    keys = [(r["specialty"].pk, r["venue"], r["offsite"]) for r in rows]
    if len(set(keys)) != len(keys):
        raise DomainError("duplicate_requirement", _("Each specialty appears once per venue."), field="requirements")
    if sum(r["count"] for r in rows) != experts_needed:
        raise DomainError("counts_mismatch", _(
            "The experts of the requirements must add up to the committee size minus the tenderer's "
            "representatives (%(n)d).") % {"n": experts_needed}, field="requirements")
    _check_venues(rows, remote)
    return rows


def _check_venues(rows, remote):
    if not remote:
        if any(r["venue"] is not None or r["main"] for r in rows):
            raise DomainError("venue_not_remote", _("Venues are chosen only for a remote multi-site evaluation."),
                              field="requirements")
        return
    venues = Venue.objects.in_bulk({r["venue"] for r in rows if r["venue"] is not None})
    if any(r["venue"] not in venues or not venues[r["venue"]].active for r in rows):
        raise DomainError("venue_required", _("In a remote evaluation every requirement names a venue in use."),
                          field="requirements")
    main = {r["venue"] for r in rows if r["main"]}
    if len(main) != 1 or any(r["main"] != (r["venue"] in main) for r in rows):
        raise DomainError("one_main_venue", _("A remote evaluation has exactly one main venue (主场); the "
                                              "others are sub-venues (副场)."), field="requirements")
    seats = Counter()
    for r in rows:
        seats[r["venue"]] += r["count"]
        r["venue"] = venues[r["venue"]]
    for venue_id, n in seats.items():
        if n > venues[venue_id].seats:
            raise DomainError("venue_too_small", _("%(venue)s has %(seats)d seats, %(n)d experts asked for.") % {
                "venue": venues[venue_id].name, "seats": venues[venue_id].seats, "n": n}, field="requirements")


def _exclusion_reasons(tender, now):
    """{expert id: [reasons]} and the candidates' rows, with a fixed number of queries (pool of 50,000)."""
    owner = tender.project.owner
    bidders = set(Bid.objects.filter(tender=tender).values_list("organization_id", "organization__credit_code"))
    bidder_orgs, bidder_codes = {o for o, _c in bidders}, {c for _o, c in bidders if c}
    cutoff = now - datetime.timedelta(days=settings.EXPERT_COOLDOWN_DAYS)
    recent = set(Seat.objects.filter(status=Seat.Status.ACCEPTED, responded_at__gte=cutoff,
                                     draw__tender__project__owner_id=owner.pk).values_list("expert_id", flat=True))
    conflicted = set(Seat.objects.filter(draw__tender=tender, status=Seat.Status.CONFLICTED)
                     .values_list("expert_id", flat=True))
    today = timezone.localdate(now)
    reasons, rows = {}, []
    for row in Expert.objects.values_list("id", "region__code", "status", "suspended_until", "employer_id",
                                          "employer_credit_code").order_by("id").iterator(chunk_size=5000):
        pk, _region, status, until, employer, employer_code = row
        found = []
        # 招标投标法 art. 37: people with an interest in a bidder may not sit on the committee.
        if employer in bidder_orgs or (employer_code and employer_code in bidder_codes):
            found.append(R.EMPLOYED_BY_BIDDER)
        if employer == owner.pk or (employer_code and employer_code == owner.credit_code):
            found.append(R.EMPLOYED_BY_TENDERER)
        if pk in recent:
            found.append(R.RECENT_SAME_TENDERER)
        if status == Expert.Status.SUSPENDED and (until is None or until >= today):
            found.append(R.SUSPENDED)
        if status == Expert.Status.RETIRED:
            found.append(R.RETIRED)
        if pk in conflicted:
            found.append(R.DECLARED_CONFLICT)  # 实施条例 art. 46: those with a conflict withdraw
        if found:
            reasons[pk] = found
        else:
            rows.append(row)
    return reasons, rows


def _freeze(draw, tender, rows, now):
    """The frozen list document (evaluation.draw) and the Exclusion rows to write."""
    reasons, candidates = _exclusion_reasons(tender, now)
    local = sorted(Region.objects.filter(pk__in=tender.region.subtree_ids()).values_list("code", flat=True))
    if all(r["offsite"] for r in rows):
        # 异地评标 for the whole committee: nobody of the tender's county can serve, so they leave the list
        # with their reason. When only some requirements are offsite, draw.eligible() applies it per requirement.
        for row in [row for row in candidates if row[1] in local]:
            reasons[row[0]] = [R.SAME_COUNTY]
        candidates = [row for row in candidates if row[1] not in local]
    ids = {row[0] for row in candidates}
    held = defaultdict(list)
    for expert_id, code in (Expert.specialties.through.objects.filter(specialty__parent__isnull=False)
                            .values_list("expert_id", "specialty__code").iterator(chunk_size=10000)):
        if expert_id in ids:
            held[expert_id].append(code)
    document = {
        "format": procedure.FORMAT, "draw": draw.pk, "tender": tender.code, "tender_region": tender.region.code,
        "local_regions": local, "committee_size": draw.committee_size,
        "representatives": draw.tenderer_representatives,
        "requirements": [{"index": i, "specialty": r["specialty"].code, "venue": r["venue"].pk if r["venue"] else None,
                          "main": r["main"], "offsite": r["offsite"], "count": r["count"]} for i, r in enumerate(rows)],
        "candidates": [{"expert": pk, "region": region, "specialties": sorted(held[pk])}
                       for pk, region, *_rest in candidates],
        "exclusions": [{"expert": pk, "reason": str(reason)} for pk in sorted(reasons) for reason in sorted(reasons[pk])],
    }
    exclusions = [Exclusion(draw=draw, expert_id=pk, reason=reason) for pk in sorted(reasons)
                  for reason in sorted(reasons[pk])]
    return document, exclusions


def request_draw(*, actor, tender_id, committee_size, tenderer_representatives, requirements, remote=False):
    """Trading center staff ask for a committee: the list is frozen and the platform's secret committed.
    Fails with `draw_shortage` (naming the specialty and venue) when the list cannot fill every seat."""
    with transaction.atomic():
        # The tender's row lock makes two simultaneous requests yield one draw.
        tender = _locked_tender(tender_id)
        check(actor, "draw.request", tender)
        if tender.status not in DRAWABLE:
            raise DomainError("not_opened", _("Experts are drawn only after the opening of a tender that has not "
                                              "failed."), http_status=409)
        if tender.draws.exclude(status=Draw.Status.FAILED).exists():
            raise DomainError("draw_exists", _("This tender already has a draw; a new one may be requested only "
                                               "if it failed."), http_status=409)
        size, representatives = _check_committee(committee_size, tenderer_representatives)
        rows = _check_requirements(requirements, size - representatives, bool(remote))
        now = timezone.now()
        draw = Draw.objects.create(tender=tender, committee_size=size, tenderer_representatives=representatives,
                                   remote=bool(remote), offsite=any(r["offsite"] for r in rows), requested_by=actor,
                                   requested_at=now)
        DrawRequirement.objects.bulk_create([
            DrawRequirement(draw=draw, specialty=r["specialty"], venue=r["venue"], is_main_venue=r["main"],
                            offsite=r["offsite"], count=r["count"]) for r in rows])
        document, exclusions = _freeze(draw, tender, rows, now)
        short = procedure.shortfalls(document)
        if short:
            requirement, available = short[0]
            raise DomainError("draw_shortage", _shortage_message(requirement, available), field="requirements",
                              http_status=409)
        text = procedure.frozen_list_bytes(document)
        secret = secrets.token_hex(32)
        draw.frozen_list, draw.frozen_list_sha256 = text.decode("utf-8"), procedure.sha256_hex(text)
        draw.platform_secret, draw.platform_commitment = secret, procedure.commitment(secret)
        draw.status = Draw.Status.COMMITTED
        draw.save(update_fields=["frozen_list", "frozen_list_sha256", "platform_secret", "platform_commitment",
                                 "status"])
        Exclusion.objects.bulk_create(exclusions, batch_size=2000)
        # The platform's commitment is in the log before anyone asks the regulator: it cannot be changed.
        _log("draw.requested", actor, draw, {
            "tender": tender.pk, "committee_size": size, "representatives": representatives, "remote": bool(remote),
            "requirements": document["requirements"], "frozen_list_sha256": draw.frozen_list_sha256,
            "platform_commitment": draw.platform_commitment, "candidates": len(document["candidates"]),
            "exclusions": dict(Counter(e["reason"] for e in document["exclusions"]))}, role="staff")
        _changed(draw, "draw.requested")
    return draw


# --- the regulator's secret, the first round and notification ----------------------------------------------

def _notify(seat, code, tender):
    text = _("Bazhong public resource trading platform: you are drawn as an evaluation expert for %(tender)s. "
             "Before %(time)s open %(link)s and enter the code %(code)s to accept or decline.") % {
        "tender": tender.code, "time": timezone.localtime(seat.respond_by).strftime("%m-%d %H:%M"),
        "link": f"{settings.SITE_URL}/evaluation/draws/answer/{seat.link_token}/", "code": code}
    phone = seat.expert.phone
    transaction.on_commit(lambda: send_sms(phone, text))
    # The text above carries the one-time code; the notice in the expert's workspace does not (sms=False).
    notify(seat.expert.user, Notice.Kind.DRAW,
           gettext_lazy("You are drawn as an evaluation expert for %(tender)s: accept or decline before %(time)s "
                        "with the code in your text message."),
           f"/evaluation/draws/answer/{seat.link_token}/", sms=False,
           params={"tender": tender.code, "time": timezone.localtime(seat.respond_by).strftime("%Y-%m-%d %H:%M")})


def _schedule_timeout(draw, respond_by):
    transaction.on_commit(lambda: enqueue("evaluation.expire_unanswered", draw.pk, run_after=respond_by))


def _new_seat(draw, requirement, expert_id, counter, now, replaces=None):
    """Creates a NOTIFIED seat, texts its expert a one-time code; returns (seat, its log commitment)."""
    respond_by = now + datetime.timedelta(minutes=settings.DRAW_ANSWER_MINUTES)
    nonce = secrets.token_hex(32)
    seat = Seat.objects.create(draw=draw, requirement=requirement, expert_id=expert_id, counter=counter,
                               nonce=nonce, notified_at=now, respond_by=respond_by, replaces=replaces)
    code = f"{secrets.randbelow(10**6):06d}"
    seat.code_hash = _code_digest(seat.pk, code)
    seat.save(update_fields=["code_hash"])
    _notify(seat, code, draw.tender)
    return seat, procedure.seat_commitment(draw.pk, counter, expert_id, nonce)


def _fail(draw, requirement, actor=None):
    reason = _shortage_message(requirement, 0)
    draw.status, draw.failure_reason = Draw.Status.FAILED, reason[:300]
    draw.save(update_fields=["status", "failure_reason"])
    _log("draw.failed", actor, draw, {"reason": "shortage", "requirement": requirement["index"]}, role="system")
    _changed(draw, "draw.failed")


def contribute_regulator_secret(*, actor, draw_id, secret_hex):
    """The on-duty regulator's 32-byte secret (64 hex digits): fixes the seed and draws the first round."""
    with transaction.atomic():
        draw = _locked_draw(draw_id)
        check(actor, "draw.contribute", draw.tender)
        if draw.status != Draw.Status.COMMITTED:
            raise DomainError("secret_already_given", _("This draw is not waiting for a secret: the regulator's "
                                                        "secret is given once and cannot be changed."),
                              http_status=409)
        secret = (secret_hex or "").strip().lower() if isinstance(secret_hex, str) else ""
        if not HEX64.fullmatch(secret):
            raise DomainError("invalid_secret", _("The secret must be 64 hexadecimal digits (32 random bytes)."),
                              field="secret_hex")
        draw.regulator, draw.regulator_secret = actor, secret
        draw.regulator_commitment = procedure.commitment(secret)
        draw.seed = procedure.compute_seed(draw.platform_secret, secret, draw.frozen_list_sha256)
        _log("draw.regulator_committed", actor, draw, {"regulator_commitment": draw.regulator_commitment},
             role="regulator")
        document = json.loads(draw.frozen_list)
        try:
            picks = procedure.initial_picks(draw.seed, document)
        except procedure.Shortage as exc:
            draw.save(update_fields=["regulator", "regulator_secret", "regulator_commitment", "seed"])
            _fail(draw, exc.requirement)
            return draw
        requirements = list(draw.requirements.order_by("id"))
        now = timezone.now()
        logged = []
        for counter, index, expert_id in picks:
            seat, commitment = _new_seat(draw, requirements[index], expert_id, counter, now)
            logged.append({"counter": counter, "requirement": index, "commitment": commitment})
        draw.status, draw.next_counter = Draw.Status.DRAWN, len(picks)
        draw.save(update_fields=["regulator", "regulator_secret", "regulator_commitment", "seed", "status",
                                 "next_counter"])
        # Commitments only: staff read this log, and they must not learn who was drawn.
        _log("draw.drawn", None, draw, {"seats": logged, "respond_by": seat.respond_by.isoformat()}, role="system")
        _schedule_timeout(draw, seat.respond_by)
        _changed(draw, "draw.drawn")
    return draw


# --- answers, replacements, timeouts -----------------------------------------------------------------------

def _replace(draw, seat, now):
    """Draws the replacement of a declined or timed-out seat by the same procedure, from the same seed."""
    document = json.loads(draw.frozen_list)
    requirements = list(draw.requirements.order_by("id"))
    index = [r.pk for r in requirements].index(seat.requirement_id)
    taken = set(draw.seats.values_list("expert_id", flat=True))
    counter = draw.next_counter
    try:
        expert_id = procedure.pick(draw.seed, document, index, counter, taken)
    except procedure.Shortage as exc:
        _fail(draw, exc.requirement)
        return None
    new, commitment = _new_seat(draw, seat.requirement, expert_id, counter, now, replaces=seat)
    draw.next_counter = counter + 1
    draw.save(update_fields=["next_counter"])
    _log("draw.replacement_drawn", None, draw, {"counter": counter, "requirement": index, "replaces": seat.counter,
                                                 "commitment": commitment, "respond_by": new.respond_by.isoformat()},
         role="system")
    _schedule_timeout(draw, new.respond_by)
    _changed(draw, "draw.replacement_drawn")
    return new


def _complete_if_filled(draw):
    filled = Counter(draw.seats.filter(status=Seat.Status.ACCEPTED).values_list("requirement_id", flat=True))
    if any(filled[r.pk] < r.count for r in draw.requirements.all()):
        return
    draw.status = Draw.Status.COMPLETE
    draw.save(update_fields=["status"])
    _log("draw.complete", None, draw, {"accepted": sum(filled.values())}, role="system")
    _changed(draw, "draw.complete")
    _schedule_record(draw, full=False)


def _schedule_record(draw, *, full):
    transaction.on_commit(lambda: enqueue("evaluation.draw_record", draw.pk, full))


def _expire(draw, now):
    expired = list(draw.seats.select_for_update().filter(status=Seat.Status.NOTIFIED, respond_by__lte=now)
                   .order_by("counter"))
    for seat in expired:
        seat.status, seat.responded_at = Seat.Status.TIMED_OUT, now
        seat.save(update_fields=["status", "responded_at"])
        _log("draw.seat_answered", None, draw, {"counter": seat.counter, "answer": "timed_out"}, role="system")
    for seat in expired:
        if draw.status == Draw.Status.DRAWN:
            _replace(draw, seat, now)
    return expired


def expire_unanswered(draw_id):
    """At a seat's deadline (the task of evaluation.tasks): unanswered seats time out and are replaced."""
    with transaction.atomic():
        draw = _locked_draw(draw_id)
        if draw.status != Draw.Status.DRAWN:
            return []
        return _expire(draw, timezone.now())


def respond_to_seat(*, seat_id, code, accept, reason="", conflict=False):
    """A drawn expert accepts or declines with the one-time code of their text message (no account needed).
    `conflict`: the decline declares a conflict of interest (实施条例 art. 46: withdraw when interested in a
    bidder); the expert is then left out of every later draw of this tender."""
    now = timezone.now()
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise DomainError("reason_too_long", _("The reason is at most 200 characters."), field="reason")
    error = None
    with transaction.atomic():
        draw_id = Seat.objects.filter(pk=seat_id).values_list("draw_id", flat=True).first() \
            if str(seat_id).isdigit() else None
        if draw_id is None:
            raise NotFound(_("No such seat."))
        draw = _locked_draw(draw_id)  # the draw's lock orders answers, timeouts and replacements
        seat = Seat.objects.select_for_update().select_related("requirement").get(pk=seat_id)
        if seat.status != Seat.Status.NOTIFIED or draw.status != Draw.Status.DRAWN:
            raise DomainError("already_answered", _("This seat has already been answered or the draw is closed."),
                              http_status=409)
        if seat.code_attempts >= MAX_CODE_ATTEMPTS:
            raise DomainError("too_many_attempts", _("Too many wrong codes: call the trading center."),
                              field="code", http_status=429)
        if seat.respond_by <= now:
            _expire(draw, now)  # committed with this transaction; the error is raised after it
            error = DomainError("answer_too_late", _("The time to answer is over: a replacement has been drawn."),
                                http_status=409)
        elif not constant_time_compare(seat.code_hash, _code_digest(seat.pk, str(code or "").strip())):
            seat.code_attempts += 1
            seat.save(update_fields=["code_attempts"])
            error = DomainError("wrong_code", _("The code is wrong."), field="code")
        else:
            seat.status = (Seat.Status.ACCEPTED if accept else
                           Seat.Status.CONFLICTED if conflict else Seat.Status.DECLINED)
            seat.responded_at, seat.decline_reason = now, "" if accept else reason
            seat.save(update_fields=["status", "responded_at", "decline_reason"])
            # No reason text in the log: an expert's words may name them.
            _log("draw.seat_answered", None, draw, {"counter": seat.counter, "answer": seat.status}, role="expert")
            if accept:
                _complete_if_filled(draw)
                if seat.replaces_id is not None:  # a replacement joins the session already under way
                    transaction.on_commit(lambda: _join_session(draw.pk))
            else:
                _replace(draw, seat, now)
            _changed(draw, "draw.seat_answered")
    if error is not None:
        raise error
    return seat


def _join_session(draw_id):
    from .session import join_replacements

    join_replacements(draw_id)


def withdraw_for_conflict(draw, seat, now):
    """In the evaluation session an accepted expert declares a conflict of interest (实施条例 art. 46):
    the seat becomes `conflicted` (logged as an answer, so verify_draw replays it) and a replacement is
    drawn by the same procedure. Runs inside the session action's transaction, with the draw locked."""
    draw = _locked_draw(draw.pk)
    seat = Seat.objects.select_for_update().get(pk=seat.pk)
    if seat.status != Seat.Status.ACCEPTED:
        raise DomainError("already_answered", _("This seat is no longer on the committee."), http_status=409)
    seat.status, seat.responded_at = Seat.Status.CONFLICTED, now
    seat.save(update_fields=["status", "responded_at"])
    _log("draw.seat_answered", None, draw, {"counter": seat.counter, "answer": "conflicted"}, role="expert")
    if draw.status == Draw.Status.COMPLETE:
        draw.status = Draw.Status.DRAWN
        draw.save(update_fields=["status"])
    replacement = _replace(draw, seat, now)
    _changed(draw, "draw.seat_answered")
    return replacement


# --- the reveal and its verification -----------------------------------------------------------------------

def reveal_draw(*, actor, draw_id):
    """After the evaluation: both secrets, the seed and every pick's expert and nonce go into the log."""
    with transaction.atomic():
        draw = _locked_draw(draw_id)
        check(actor, "draw.reveal", draw.tender)
        if draw.tender.status not in REVEALABLE:
            raise DomainError("evaluation_not_closed", _("The draw is revealed only once the evaluation is closed."),
                              http_status=409)
        if draw.status == Draw.Status.REVEALED or not draw.seed:
            raise DomainError("nothing_to_reveal", _("This draw has already been revealed, or never drawn."),
                              http_status=409)
        seats = [{"counter": s.counter, "requirement": r, "expert": s.expert_id, "nonce": s.nonce,
                  "status": s.status, "replaces": s.replaces.counter if s.replaces_id else None}
                 for s, r in _seats_with_index(draw)]
        draw.status, draw.revealed_at = Draw.Status.REVEALED, timezone.now()
        draw.save(update_fields=["status", "revealed_at"])
        _log("draw.revealed", actor, draw, {
            "platform_secret": draw.platform_secret, "regulator_secret": draw.regulator_secret, "seed": draw.seed,
            "frozen_list_sha256": draw.frozen_list_sha256, "seats": seats}, role="staff")
        _changed(draw, "draw.revealed")
        _schedule_record(draw, full=True)
    return draw


def _seats_with_index(draw):
    index = {pk: i for i, pk in enumerate(draw.requirements.order_by("id").values_list("pk", flat=True))}
    return [(s, index[s.requirement_id]) for s in draw.seats.select_related("replaces").order_by("counter")]


def _logged(draw):
    """{action: [payload, ...]} of the draw's log entries, in log order."""
    from ledger.models import Entry

    out = defaultdict(list)
    for action, text in (Entry.objects.filter(tender_ref=draw.tender.code, action__startswith="draw.")
                         .order_by("seq").values_list("action", "payload")):
        payload = json.loads(text)
        if payload.get("draw") == draw.pk:
            out[action].append(payload)
    return out


def verify_draw_record(draw) -> list[str]:
    """Recompute the committee from published data only (the frozen list and the log); list every
    mismatch, in words. Empty: the draw verifies (docs/expert-draw.md, "Verifying")."""
    log = _logged(draw)
    if not log["draw.requested"]:
        return [_("The trading log has no request of this draw.")]
    requested, revealed = log["draw.requested"][0], (log["draw.revealed"] or [None])[0]
    if revealed is None:
        return [_("The secrets of this draw are not revealed yet.")]
    problems = []
    text = draw.frozen_list.encode("utf-8")
    if procedure.sha256_hex(text) != requested["frozen_list_sha256"]:
        problems.append(_("The frozen list does not match the hash logged at the request."))
    try:
        document = json.loads(text)
        if procedure.frozen_list_bytes(document) != text or document.get("draw") != draw.pk:
            raise ValueError
    except ValueError:
        return [*problems, _("The frozen list is not the canonical document of this draw.")]
    if procedure.commitment(revealed["platform_secret"]) != requested["platform_commitment"]:
        problems.append(_("The platform's secret does not match its logged commitment."))
    regulator = (log["draw.regulator_committed"] or [{}])[0].get("regulator_commitment")
    if procedure.commitment(revealed["regulator_secret"]) != regulator:
        problems.append(_("The regulator's secret does not match its logged commitment."))
    seed = procedure.compute_seed(revealed["platform_secret"], revealed["regulator_secret"],
                                  requested["frozen_list_sha256"])
    if seed != revealed["seed"]:
        problems.append(_("The revealed seed is not SHA-256 of the secrets and the list's hash."))
    problems += [_replay_message(p) for p in procedure.replay(seed, document, revealed["seats"])]
    problems += _seat_problems(draw, log, revealed["seats"])
    return problems


def _replay_message(problem):
    kind, counter, expected, found = problem
    if kind == "pick":
        return _("Pick %(counter)s: the procedure gives expert %(expected)s, the draw has %(found)s.") % {
            "counter": counter, "expected": expected, "found": found}
    if kind == "replaces":
        return _("Pick %(counter)s replaces no declined or timed-out pick.") % {"counter": counter}
    if kind == "shortage":
        return _("The frozen list cannot fill requirement %(index)s.") % {"index": expected}
    return _("The picks' counters are not 0, 1, 2, … without gaps.")


def _seat_problems(draw, log, revealed_seats):
    problems = []
    committed = {s["counter"]: s["commitment"] for entry in log["draw.drawn"] for s in entry["seats"]}
    committed.update({e["counter"]: e["commitment"] for e in log["draw.replacement_drawn"]})
    answers = {e["counter"]: e["answer"] for e in log["draw.seat_answered"]}
    revealed = {s["counter"]: s for s in revealed_seats}
    if set(committed) != set(revealed):
        problems.append(_("The revealed picks are not the picks committed in the log."))
    for counter, seat in sorted(revealed.items()):
        if counter in committed and procedure.seat_commitment(draw.pk, counter, seat["expert"],
                                                              seat["nonce"]) != committed[counter]:
            problems.append(_("Pick %(counter)s does not match its logged commitment.") % {"counter": counter})
        if answers.get(counter, "notified") != seat["status"]:
            problems.append(_("Pick %(counter)s: the revealed answer is not the logged one.") % {"counter": counter})
    actual = {s.counter: (s.expert_id, s.status) for s in draw.seats.all()}
    if actual != {c: (s["expert"], s["status"]) for c, s in revealed.items()}:
        problems.append(_("The committee on the platform is not the revealed one."))
    return problems
