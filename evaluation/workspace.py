"""The workspace (工作台, issue 14): what each role a user holds needs from them now.

It reads trading and evaluation models, so it lives here in `evaluation` (docs/architecture.md §1: trading ←
evaluation). Each section is a fixed number of queries, whatever the number of items (no N+1).
Every list is scoped: a bidder sees its organization's, staff and regulators their regions'.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.db import models
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Notice, Role
from accounts.permissions import roles, scope_region_ids
from trading.award.periods import publish_due
from trading.calendar import warning_years
from trading.green.queue import officer_requests
from trading.models import Award, Bid, CalendarFlag, CandidateObjection, Complaint, Objection, Tender, TenderCustodian

from .models import Seat
from .models_session import Clarification, EvaluationSession, Member

NOTICES_SHOWN = 5
OPENING_STATES = [Tender.Status.PUBLISHED, Tender.Status.CLOSED, Tender.Status.OPENING, Tender.Status.OPENED]


def _today(now):
    """[start, end) of the server's calendar day (Beijing time)."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


def _bidder(user, now):
    org = user.organization_id
    if org is None:
        return {"bids": [], "clarifications": [], "openings": []}
    start, end = _today(now)
    bids = (
        Bid.objects.filter(organization_id=org)
        .exclude(status=Bid.Status.REPLACED)
        .select_related("tender", "opened")
        .order_by("-submitted_at", "-id")
    )
    clarifications = (
        Clarification.objects.filter(bid__bid__organization_id=org, answered_at__isnull=True, deadline__gt=now)
        .select_related("session__tender")
        .order_by("deadline", "id")
    )
    openings = (
        Tender.objects.filter(bids__organization_id=org, bids__status=Bid.Status.SUBMITTED,
                              bid_deadline__gte=start, bid_deadline__lt=end, status__in=OPENING_STATES)
        .distinct()
        .order_by("bid_deadline", "id")
    )
    return {"bids": list(bids), "clarifications": list(clarifications), "openings": list(openings)}


def _custodian(user, now):
    shares = (
        TenderCustodian.objects.filter(user=user, released_at__isnull=True, tender__status__in=OPENING_STATES)
        .select_related("tender")
        .order_by("tender__bid_deadline", "id")
    )
    return {"shares": list(shares)}


def _expert(user, now):
    seats = (
        Seat.objects.filter(expert__user=user, status=Seat.Status.NOTIFIED)
        .filter(respond_by__gt=now)
        .select_related("draw__tender")
        .order_by("respond_by", "id")
    )
    members = (
        Member.objects.filter(user=user, removed_at__isnull=True)
        .exclude(session__stage=EvaluationSession.Stage.CLOSED)
        .select_related("session__tender")
        .order_by("session__opened_at", "id")
    )
    return {"seats": list(seats), "members": list(members)}


def _owner(user, now):
    org = user.organization_id
    if org is None:
        return {"drafts": [], "under_review": [], "objections": [], "candidate_objections": [], "to_publish": [],
                "awards_due": []}
    tenders = Tender.objects.filter(project__owner_id=org).select_related("region")
    objections = (
        Objection.objects.filter(tender__project__owner_id=org, answered_at__isnull=True)
        .select_related("tender")
        .order_by("answer_due", "id")
    )
    return {
        "drafts": list(tenders.filter(status__in=[Tender.Status.DRAFT, Tender.Status.RETURNED]).order_by("-created_at")),
        "under_review": list(tenders.filter(status=Tender.Status.SUBMITTED).order_by("submitted_at")),
        "objections": list(objections),
        **_owner_after_evaluation(org),
    }


def _owner_after_evaluation(org):
    """Candidates to publish (3 days from the report, 实施条例 art. 54), objections to the candidates to answer,
    and awards whose contract or report to the regulator is still due (招标投标法 art. 46-47)."""
    to_publish = []
    for tender in (Tender.objects.filter(project__owner_id=org, candidates__isnull=False, publicity__isnull=True)
                   .distinct().order_by("id")):
        first = tender.candidates.order_by("rank").first()
        to_publish.append({"tender": tender, "due": publish_due(first.report_received_at)})
    candidate_objections = (CandidateObjection.objects.filter(tender__project__owner_id=org, answered_at__isnull=True)
                            .select_related("tender").order_by("answer_due", "id"))
    awards_due = (Award.objects.filter(tender__project__owner_id=org)
                  .filter(models.Q(contract_signed_at__isnull=True) | models.Q(reported_at__isnull=True))
                  .select_related("tender").order_by("contract_due"))
    return {"to_publish": to_publish, "candidate_objections": list(candidate_objections),
            "awards_due": list(awards_due)}


def _live_sessions(region_ids):
    return list(
        EvaluationSession.objects.filter(tender__region_id__in=region_ids)
        .exclude(stage=EvaluationSession.Stage.CLOSED)
        .select_related("tender__region")
        .order_by("opened_at", "id")
    )


def _staff(user, now):
    ids = scope_region_ids(user, Role.STAFF)
    start, end = _today(now)
    in_scope = Tender.objects.filter(region_id__in=ids).select_related("region")
    return {
        "review": list(in_scope.filter(status=Tender.Status.SUBMITTED).order_by("submitted_at", "id")),
        "openings": list(in_scope.filter(bid_deadline__gte=start, bid_deadline__lt=end, status__in=OPENING_STATES)
                         .order_by("bid_deadline", "id")),
        "sessions": _live_sessions(ids),
        "green": list(officer_requests(user)),  # their green-channel projects (issue 12)
    }


def _staff_calendar(user, now):
    """Holiday arrangement not confirmed (this year; next year from November 1), and the published
    tenders of the staff's regions that a confirmed arrangement made too short (trading/calendar.py)."""
    ids = scope_region_ids(user, Role.STAFF)
    flags = CalendarFlag.objects.filter(tender__region_id__in=ids, tender__status=Tender.Status.PUBLISHED)
    return {
        "missing": warning_years(timezone.localdate(now)),
        "flags": list(flags.select_related("tender").order_by("tender__bid_deadline", "id")),
    }


def _regulator(user, now):
    from .alerts import visible_alerts

    region_ids = scope_region_ids(user, Role.REGULATOR)
    complaints = (Complaint.objects.filter(tender__region_id__in=region_ids, decided_at__isnull=True)
                  .select_related("tender").order_by("due", "id"))
    return {"sessions": _live_sessions(region_ids), "complaints": list(complaints),
            "alerts_open": visible_alerts(user).filter(reviewed_at__isnull=True).count()}


SECTIONS = [
    (Role.BIDDER, _bidder),
    (Role.CUSTODIAN, _custodian),
    (Role.EXPERT, _expert),
    ("owner", _owner),
    (Role.STAFF, _staff),
    (Role.REGULATOR, _regulator),
]


def _notices(user):
    """The user's newest notices, unread first (accounts/notices.py): two queries."""
    mine = Notice.objects.filter(user=user)
    recent = list(mine.order_by(models.F("read_at").asc(nulls_first=True), "-created_at", "-id")[:NOTICES_SHOWN])
    return {"recent": recent, "unread": mine.filter(read_at__isnull=True).count()}


@login_required
def workspace(request):
    now = timezone.now()
    held = roles(request.user)
    if Role.TENDERER in held or Role.AGENCY in held:
        held = held | {"owner"}
    sections = {str(role): build(request.user, now) for role, build in SECTIONS if role in held}
    calendar = _staff_calendar(request.user, now) if Role.STAFF in held else None
    return render(request, "workspace/home.html", {"now": now, "sections": sections, "calendar": calendar,
                                                   "notices": _notices(request.user)})
