"""The signed evaluation report (评标报告) of a finished session, and the session's close
(docs/evaluation-session.md, stage `signing` → `closed`; 实施条例 art. 53).

Once every active member has signed (review.sign_report), the task `produce_session_report_task` runs
`produce_session_report`: the report is built from the database (evaluation.report_data), rendered,
signed by each member with their own certificate in seat order, sealed by the platform
(records.actions.produce_record), and then, in one transaction, the session closes, the tender becomes
`evaluated`, the log gets `evaluation.closed` and the session's stream `session.closed`.

Rendering and signing take seconds and run outside any transaction (records.actions explains why), so
a lock in the cache keeps two runs of one session from producing two reports at once, and a run whose
record was stored but whose close failed finds that record again instead of making a second one.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.background import enqueue
from accounts.errors import DomainError, NotFound
from accounts.permissions import check
from realtime import groups
from realtime.events import append_stream_event
from records.actions import produce_record
from records.models import Record
from trading.award.candidates import record_candidates
from trading.models import Tender

from ..models import EvaluationSession
from ..report_data import committee, report_data
from .sessionbase import Stage, event, locked_session, log, require_stage

logger = logging.getLogger(__name__)
LOCK_SECONDS = 15 * 60  # longer than any report takes to render and sign
MAX_ERROR = 300


def _lock_key(session_id):
    return f"evaluation-report-{session_id}"


def _signers(session):
    """The active members' users, in seat order; refuses while a member has not signed."""
    members = committee(session)
    if not members or any(m.signed_at is None for m in members):
        raise DomainError("not_ready", _("Every member of the committee must sign the report first."),
                          http_status=409)
    if any(m.user_id is None for m in members):
        raise DomainError("no_account", _("A member of the committee has no account to sign with."),
                          http_status=409)
    return [m.user for m in members]


def _stored_record(session, signers):
    """A report already stored for this session by a run whose close did not commit (same tender, the
    platform as its producer, the same signers in the same order), or None."""
    expected = [u.pk for u in signers] + [None]
    for record in Record.objects.filter(kind=Record.Kind.EVALUATION_REPORT, tender_ref=session.tender.code,
                                        created_by=None).order_by("pk"):
        if [s.get("user") for s in record.signers] == expected:
            return record
    return None


def _candidate_rows(session):
    """[(bid id, rank, price_fen, score)] of the ranking's candidates, for trading's publicity."""
    ranking = session.ranking or {}
    order = {row["bid"]: row for row in ranking.get("order") or []}
    results = {r.bid_id: r for r in session.results.select_related("bid")}
    return [(results[opened].bid.bid_id, rank, results[opened].price_fen, order.get(opened, {}).get("score"))
            for rank, opened in enumerate(ranking.get("candidates") or [], 1)]


def _close(session_id, record) -> Record:
    with transaction.atomic():
        session = locked_session(session_id)
        if session.report_id is not None:
            return session.report
        require_stage(session, Stage.SIGNING)
        now = timezone.now()
        session.report, session.stage, session.closed_at = record, Stage.CLOSED, now
        session.report_error, session.stage_deadline = "", None
        session.save(update_fields=["report", "stage", "closed_at", "report_error", "stage_deadline"])
        Tender.objects.filter(pk=session.tender_id).update(status=Tender.Status.EVALUATED)
        receipts = dict(session.results.values_list("bid_id", "bid__bid__receipt_no"))
        candidates = [receipts[bid] for bid in (session.ranking or {}).get("candidates", [])]
        record_candidates(session.tender, _candidate_rows(session), report_received_at=now)  # docs/award.md
        log("evaluation.closed", None, session, {"record": record.pk, "sha256": record.sha256,
                                                 "candidates": candidates}, role="system")
        event(session, "session.closed", {"report": record.pk}, audience="all")
    return record


def _short(exc) -> str:
    if isinstance(exc, DomainError):
        text = str(exc.message)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR]


def _record_failure(session_id, exc):
    """Keep the reason for the page (the snapshot's `report_error`) and tell the open pages to refresh."""
    reason = _short(exc)
    logger.error("evaluation report of session %s failed: %s", session_id, reason, exc_info=exc)
    try:
        with transaction.atomic():
            if EvaluationSession.objects.filter(pk=session_id, report__isnull=True).update(report_error=reason):
                append_stream_event(groups.evaluation_session(session_id), "report.failed",
                                    {"audience": "all", "reason": reason})
    except Exception:  # the database itself may be what failed: the original error is the one to raise
        logger.exception("could not record the failure of session %s's report", session_id)


def produce_session_report(session_id) -> Record:
    """The session's signed report, produced once: a rerun returns the same record. The platform acts
    (no actor): the caller is the signing step's task or `retry_report`, which checked access.
    On failure the reason is kept in `session.report_error` (the page shows it; the host retries) and
    the error is raised again. Must run outside any transaction (records.actions.produce_record)."""
    session = (EvaluationSession.objects.select_related("tender__region", "tender__project__owner", "report")
               .filter(pk=session_id).first())
    if session is None:
        raise NotFound(_("No such evaluation session."))
    if session.report_id is not None:
        return session.report
    if not cache.add(_lock_key(session.pk), timezone.now().isoformat(), LOCK_SECONDS):
        raise DomainError("already_running", _("The report is being produced right now."), http_status=409)
    try:
        if session.stage != Stage.SIGNING:
            raise DomainError("wrong_stage", _("The report is produced once every member has signed."),
                              http_status=409)
        signers = _signers(session)
        record = _stored_record(session, signers)
        if record is None:
            tender = session.tender
            record = produce_record("evaluation_report", report_data(session), tender_ref=tender.code,
                                    signers=signers, region=tender.region, organization=tender.project.owner)
        return _close(session.pk, record)
    except Exception as exc:
        _record_failure(session.pk, exc)
        raise
    finally:
        cache.delete(_lock_key(session.pk))


def retry_report(*, actor, session_id):
    """The host (staff of the tender's region) runs the report again after a failure, or after a worker
    died before it could say why. Refused while a run holds the lock, and once the report exists."""
    with transaction.atomic():
        session = locked_session(session_id)
        check(actor, "session.host", session)
        if session.report_id is not None:
            raise DomainError("already_done", _("The report is already signed."), http_status=409)
        if session.stage != Stage.SIGNING:
            raise DomainError("wrong_stage", _("The report is produced once every member has signed."),
                              http_status=409)
        _signers(session)
        if cache.get(_lock_key(session.pk)) is not None:
            raise DomainError("already_running", _("The report is being produced right now."), http_status=409)
        previous = session.report_error
        session.report_error = ""
        session.save(update_fields=["report_error"])
        log("evaluation.report_retried", actor, session, {"error": previous}, role="staff")
        event(session, "report.retried", {})
        session_pk = session.pk

        transaction.on_commit(lambda: enqueue("evaluation.session_report", session_pk))
    return {}
