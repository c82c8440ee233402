"""What the session's actions share: locking, membership and stage checks, the log and the stream.

Every session action runs in one transaction holding the session's row lock, so the stage machine
sees one order of messages however many ASGI processes deliver them (docs/evaluation-session.md).
"""

import hashlib

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.errors import DomainError, NotFound
from ledger import chain
from ledger.canonical import canonical_json
from realtime import groups
from realtime.events import append_stream_event

from ..models import EvaluationSession, Member

Stage = EvaluationSession.Stage
# Where a member's conflicts, votes and scores count (a removed member's stop counting).
RUNNING_STAGES = {Stage.COMMITMENTS, Stage.LEADER, Stage.QUALIFICATION, Stage.SCORING, Stage.REVIEW,
                  Stage.RANKING, Stage.SIGNING}
MAX_MINUTES = 600


def locked_session(session_id) -> EvaluationSession:
    try:
        return (EvaluationSession.objects.select_for_update(of=("self",))
                .select_related("tender__region", "tender__project__owner", "draw", "leader")
                .get(pk=session_id))
    except (EvaluationSession.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such evaluation session.")) from None


def require_stage(session, *stages):
    if session.stage not in stages:
        raise DomainError("wrong_stage", _("The session is not at the stage for this (now: %(stage)s).") % {
            "stage": session.get_stage_display()}, http_status=409)


def require_running(session):
    if session.paused:
        raise DomainError("paused", _("The session is paused: %(reason)s") % {"reason": session.paused_reason},
                          http_status=409)


def active_members(session):
    return session.members.filter(removed_at__isnull=True)


def member_of(session, user, *, checked_in=True) -> Member:
    """The actor's active membership (locked), or `not_member`."""
    member = (Member.objects.select_for_update().filter(session=session, user=user, removed_at__isnull=True)
              .select_related("seat").first() if getattr(user, "is_authenticated", False) else None)
    if member is None or (checked_in and member.checked_in_at is None):
        raise DomainError("not_member", _("Only the checked-in members of this committee may do this."),
                          http_status=403)
    return member


def require_leader(session, member):
    if session.leader_id != member.pk:
        raise DomainError("not_leader", _("Only the committee's leader may do this."), http_status=403)


def is_host(user, session):
    from accounts.permissions import can

    return can(user, "session.host", session)


def log(action, actor, session, payload, role=""):
    tender = session.tender
    return chain.append(action, actor=actor, role=role, region=tender.region, tender_ref=tender.code,
                        payload={"session": session.pk, **payload})


def event(session, event_type, data=None, audience="all"):
    """Number and store a session event; it reaches the sockets after commit (realtime.events)."""
    return append_stream_event(groups.evaluation_session(session.pk), event_type,
                               {"audience": audience, **(data or {})})


def digest(document) -> str:
    """SHA-256 of the canonical JSON of `document` (what the log holds instead of confidential content)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def minutes_value(value, default):
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not 1 <= number <= MAX_MINUTES or str(number) != str(value).strip():
        raise DomainError("invalid_minutes", _("Give the time in whole minutes, from 1 to %(max)d.") % {
            "max": MAX_MINUTES}, field="minutes")
    return number


def stage_minutes(stage):
    return getattr(settings, "EVALUATION_STAGE_MINUTES", {}).get(stage, 60)


def text_value(value, field, *, max_chars, required=True, code=None):
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise DomainError(code or "reason_required", _("This text is required."), field=field)
    if len(text) > max_chars:
        raise DomainError(code or "text_too_long", _("At most %(n)d characters.") % {"n": max_chars}, field=field)
    return text


def id_value(value, code, message):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise DomainError(code, message)
    try:
        return int(value)
    except ValueError:
        raise DomainError(code, message) from None
