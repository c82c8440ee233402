"""Green-channel actions (绿色通道, issue 12): request, decide, assign the officer, notes and contacts.
Each checks permission, writes in one transaction and appends to the trading log in it (docs/architecture.md §2).
The green channel speeds up the platform's own work; no legal period depends on it."""

import hashlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError, NotFound
from accounts.models import Role, User
from accounts.permissions import check, has_role
from ledger import chain
from ledger.canonical import utc_iso

from ..files import check_document
from ..green import plan as green_plan
from ..models import Project, Tender
from ..models_green import GreenChannelRequest, GreenNote, Milestone

MAX_TEXT = 2000
LIVE_TENDERS = (Tender.Status.DRAFT, Tender.Status.SUBMITTED, Tender.Status.RETURNED, Tender.Status.PUBLISHED,
                Tender.Status.CLOSED, Tender.Status.OPENING, Tender.Status.OPENED, Tender.Status.EVALUATING,
                Tender.Status.EVALUATED)


def _text(value, field, *, required=True, limit=MAX_TEXT):
    value = (value or "").strip() if isinstance(value, str) else ""
    if (required and not value) or len(value) > limit:
        raise DomainError("required", _("Write it here (up to %(n)s characters).") % {"n": limit}, field=field)
    return value


def _log(action, actor, request, payload, role=""):
    chain.append(action, actor=actor, role=role, region=request.project.region,
                 payload={"green_request": request.pk, "project": request.project_id, **payload})


def access_request(user, request_id, *, for_update=False, permission=None):
    qs = GreenChannelRequest.objects.select_related("project__region__parent", "project__owner")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        request = qs.get(pk=request_id)
    except (GreenChannelRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such green channel request.")) from None
    if permission:
        check(user, permission, request)
    return request


def request_green_channel(*, actor, project_id, reason, investment_fen, evidence, explanation=""):
    """The tenderer asks for the green channel, with the approval document and the investment amount."""
    if reason not in GreenChannelRequest.Reason.values:
        raise DomainError("invalid_reason", _("Choose the reason: major investment, investment promotion or key "
                                              "public welfare."), field="reason")
    if not isinstance(investment_fen, int) or isinstance(investment_fen, bool) or not 0 < investment_fen <= 10**17:
        raise DomainError("invalid_amount", _("Give the investment amount in yuan."), field="investment_fen")
    explanation = _text(explanation, "explanation", required=False)
    if evidence is None:
        raise DomainError("required", _("Attach the approval document."), field="evidence")
    name, _media_type, size, sha256 = check_document(evidence)
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update(of=("self",)).select_related("region__parent").get(
                pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such project.")) from None
        check(actor, "green.request", project)
        if project.green_requests.filter(status__in=["requested", "approved"]).exists():
            raise DomainError("already_requested", _("This project already has a green channel request."))
        request = GreenChannelRequest(project=project, reason=reason, explanation=explanation,
                                      investment_fen=investment_fen, evidence_name=name, evidence_sha256=sha256,
                                      requested_by=actor, requested_at=timezone.now())
        request.evidence.save(name, evidence, save=False)
        try:
            request.save()
            _log("green.requested", actor, request, {"reason": reason, "investment_fen": investment_fen,
                                                     "evidence": {"name": name, "sha256": sha256, "size": size}},
                 role="tenderer")
        except Exception:
            request.evidence.delete(save=False)
            raise
    return request


def _check_officers(request, officer_id, deputy_id):
    """The officer and the deputy: two different staff members of a center covering the project."""
    users = {u.pk: u for u in User.objects.filter(pk__in=[officer_id, deputy_id], is_active=True)}
    officer, deputy = users.get(officer_id), users.get(deputy_id)
    region = request.project.region
    if officer is None or not has_role(officer, Role.STAFF, region):
        raise DomainError("invalid_officer", _("The officer must be trading center staff covering the project."),
                          field="officer")
    if deputy is None or deputy == officer or not has_role(deputy, Role.STAFF, region):
        raise DomainError("invalid_deputy", _("The deputy must be another staff member covering the project."),
                          field="deputy")
    return officer, deputy


def _make_plan(request, now):
    rows = []
    for tender in request.project.tenders.filter(status__in=LIVE_TENDERS).order_by("id"):
        existing = set(request.milestones.filter(tender=tender).values_list("kind", flat=True))
        rows += [Milestone(request=request, tender=tender, kind=kind, position=i, target=target,
                           ordinary_target=ordinary)
                 for kind, i, target, ordinary in green_plan.plan(tender, now) if kind not in existing]
    Milestone.objects.bulk_create(rows)
    return rows


def _plan_payload(rows):
    return [{"tender": m.tender.code, "kind": m.kind, "target": m.target.isoformat(),
             "ordinary": m.ordinary_target.isoformat()} for m in rows]


def decide_green_channel(*, actor, request_id, approve, reason, officer_id=None, deputy_id=None):
    """The center approves (assigning the officer and deputy; the milestone plan is made now) or refuses,
    giving its reason either way."""
    reason = _text(reason, "reason")
    with transaction.atomic():
        request = access_request(actor, request_id, for_update=True, permission="green.decide")
        if request.status != GreenChannelRequest.Status.REQUESTED:
            raise DomainError("already_decided", _("This request has already been decided."))
        now = timezone.now()
        request.decided_by, request.decided_at, request.decision_reason = actor, now, reason
        if approve:
            officer, deputy = _check_officers(request, officer_id, deputy_id)
            request.status, request.officer, request.deputy = GreenChannelRequest.Status.APPROVED, officer, deputy
        else:
            request.status = GreenChannelRequest.Status.REFUSED
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "officer", "deputy"])
        if approve:
            rows = _make_plan(request, now)
            _log("green.approved", actor, request, {"reason": reason, "officer": officer.pk, "deputy": deputy.pk,
                                                    "plan": _plan_payload(rows)}, role="staff")
        else:
            _log("green.refused", actor, request, {"reason": reason}, role="staff")
    return request


def assign_officers(*, actor, request_id, officer_id, deputy_id):
    """Hand the project to another officer or deputy."""
    with transaction.atomic():
        request = access_request(actor, request_id, for_update=True, permission="green.decide")
        if request.status != GreenChannelRequest.Status.APPROVED:
            raise DomainError("not_approved", _("Officers are assigned to approved green channel projects only."))
        request.officer, request.deputy = _check_officers(request, officer_id, deputy_id)
        request.save(update_fields=["officer", "deputy"])
        _log("green.officers_assigned", actor, request, {"officer": officer_id, "deputy": deputy_id}, role="staff")
    return request


def extend_plan(*, actor, request_id):
    """Plan the project's tenders added since the approval (the rows already planned stay as they were)."""
    with transaction.atomic():
        request = access_request(actor, request_id, for_update=True, permission="green.decide")
        if request.status != GreenChannelRequest.Status.APPROVED:
            raise DomainError("not_approved", _("Only an approved green channel project has a plan."))
        rows = _make_plan(request, timezone.now())
        if rows:
            _log("green.plan_extended", actor, request, {"plan": _plan_payload(rows)}, role="staff")
    return rows


def add_note(*, actor, request_id, kind, text, channel="", contact_person=""):
    """The officer's note, or a contact with the tenderer (how, with whom). The log keeps its digest:
    the text stays with the center."""
    if kind not in GreenNote.Kind.values:
        raise DomainError("invalid_kind", _("Unknown kind."), field="kind")
    text = _text(text, "text")
    contact_person = _text(contact_person, "contact_person", required=False, limit=100)
    if kind == GreenNote.Kind.CONTACT and channel not in GreenNote.Channel.values:
        raise DomainError("invalid_channel", _("Say how the tenderer was contacted."), field="channel")
    with transaction.atomic():
        request = access_request(actor, request_id, for_update=True, permission="green.note")
        if request.status != GreenChannelRequest.Status.APPROVED:
            raise DomainError("not_approved", _("Notes are kept for approved green channel projects only."))
        note = GreenNote.objects.create(request=request, author=actor, kind=kind,
                                        channel=channel if kind == GreenNote.Kind.CONTACT else "",
                                        contact_person=contact_person, text=text, at=timezone.now())
        _log("green.note_added", actor, request, {"note": note.pk, "kind": kind, "at": utc_iso(note.at),
                                                  "sha256": hashlib.sha256(text.encode()).hexdigest()}, role="staff")
    return note


def produce_monthly_summary(*, actor, year, month):
    """The signed monthly summary (a city-wide record, read by the city's staff and regulators)."""
    from accounts.permissions import city_region
    from records.actions import produce_record

    from ..green.summary import summary_data

    if not (isinstance(year, int) and isinstance(month, int) and 2000 <= year <= 2100 and 1 <= month <= 12):
        raise DomainError("invalid_month", _("Choose a month."), field="month")
    check(actor, "green.summary", None)
    return produce_record("green_channel_summary", summary_data(year, month), actor=actor, region=city_region())
