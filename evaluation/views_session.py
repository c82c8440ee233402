"""Pages of the live evaluation session (docs/architecture.md §10, docs/evaluation-session.md): staff of the tender's
region open it once the draw is complete; every viewer (committee member, host staff, venue staff,
regulator) follows one live page driven by `ws/evaluation/<id>/`; a list shows each person their sessions.

What a viewer may see is `evaluation.session_view.snapshot`'s answer (it refuses anyone else); every
write goes over the websocket to the session actions, except opening, which calls its action here.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import Role
from accounts.permissions import can, has_role, scope_region_ids
from config.ids import parse_int
from trading.models import Tender

from .actions import session as session_actions
from .forms_session import OpenSessionForm, SessionFilterForm
from .models import Draw
from .models_session import EvaluationSession, Member
from .session_view import snapshot

PAGE_SIZE = 20
OPEN_PERMISSION = "session.open"  # evaluation/policies_session.py
Stage = EvaluationSession.Stage
EXTENDABLE = (Stage.QUALIFICATION, Stage.SCORING, Stage.REVIEW, Stage.RANKING)  # evaluation.actions.review
READING = EXTENDABLE  # the committee reads the bids (evaluation/policies_documents.py)
ASKING = (Stage.QUALIFICATION, Stage.SCORING, Stage.REVIEW)  # clarifications (evaluation.actions.clarify)


def panels(snap):
    """Which parts of the page a snapshot shows, by element id with "_" for "-" (the page's first paint;
    static/js/evaluation-session.js `panels` mirrors this for every later snapshot)."""
    me, stage = snap["me"], snap["session"]["stage"]
    mine = next((m for m in snap["members"] if m["id"] == me.get("member")), None)
    member = me["role"] == "member" and mine is not None and not mine["removed"]
    leader = member and bool(me.get("is_leader"))
    after_review = (Stage.REVIEW, Stage.RANKING, Stage.SIGNING, Stage.CLOSED)
    host = me["role"] == "host"
    return {
        "checkin_panel": me["role"] in ("host", "venue_staff") and stage in (Stage.CHECK_IN, Stage.COMMITMENTS),
        "host_panel": host and stage != Stage.CLOSED,
        "pause_form": host and not snap["session"]["paused"],
        "resume_row": host and snap["session"]["paused"],
        # The host moves the session on from check-in and closes the qualification review (the leader too).
        "advance_form": host and stage in (Stage.CHECK_IN, Stage.QUALIFICATION),
        "wait_check_in": member and not mine["checked_in"],
        "commitment_panel": member and stage == Stage.COMMITMENTS,
        "commitment_form": member and not mine["committed"],
        "leader_panel": member and stage == Stage.LEADER,
        "qualification_panel": member and stage == Stage.QUALIFICATION,
        # A returned sheet is back in scoring for its member only, while the session stays in review.
        "score_panel": member and (stage == Stage.SCORING or (stage == Stage.REVIEW and not mine["sheet_submitted"])),
        "review_panel": bool(snap.get("summary")) and stage in after_review,
        "return_form": leader and stage == Stage.REVIEW and bool(snap.get("summary")),
        "ranking_panel": bool(snap.get("ranking")) and stage in after_review[1:],
        "ranking_form": member and stage == Stage.RANKING and not mine["agreed"],
        "ranking_done": member and mine["agreed"],
        "signing_panel": stage in (Stage.SIGNING, Stage.CLOSED),
        "signing_row": member and stage == Stage.SIGNING and not mine["signed"],
        "leader_tools": leader and stage in (Stage.QUALIFICATION, Stage.REVIEW, Stage.RANKING),
        "extension_panel": stage in EXTENDABLE or bool(snap.get("extensions")),
        "extension_form": member and stage in EXTENDABLE,
        # The committee's business: members and the host (session_view sends it to no one else).
        "clarification_panel": me["role"] in ("member", "host") and (stage in READING or bool(snap["clarifications"])),
        "clarify_form": leader and stage in ASKING,
    }


def _sessions_for(user):
    """The sessions `user` may follow (as session_view.viewer decides: staff and regulators of the
    tender's region, staff of a venue's region, active members), or None when they may follow none at
    all: not staff, regulator or expert, and on no committee."""
    staff = scope_region_ids(user, Role.STAFF)
    regions = staff | scope_region_ids(user, Role.REGULATOR)
    member_of = Member.objects.filter(user=user, removed_at__isnull=True).values("session_id")
    if not regions and not has_role(user, Role.EXPERT) and not member_of.exists():
        return None
    hosted = Member.objects.filter(venue__region_id__in=staff).values("session_id")
    return EvaluationSession.objects.filter(Q(tender__region_id__in=regions) | Q(pk__in=member_of) | Q(pk__in=hosted))


@login_required
def session_list(request):
    """Staff and regulators: the sessions of their region; experts: the sessions they sit on."""
    sessions = _sessions_for(request.user)
    if sessions is None:
        raise PermissionDenied
    form = SessionFilterForm(request.GET or None)
    stage = form.cleaned_data["stage"] if form.is_valid() else ""
    if stage == "open":
        sessions = sessions.exclude(stage=Stage.CLOSED)
    elif stage:
        sessions = sessions.filter(stage=stage)
    sessions = sessions.select_related("tender__region").order_by("-opened_at", "-id")
    number = parse_int(request.GET.get("page") or "1", maximum=10**6) or 1
    page = Paginator(sessions, PAGE_SIZE).get_page(number)
    return render(request, "evaluation/session_list.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


def _back(request, tender):
    """Where the open-session form came from (the draw page or the tender page), else the tender page."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(target)
    return redirect("trading:detail", pk=tender.pk)


@login_required
@require_POST
def open_session(request, tender_id):
    """Staff of the tender's region open the live session once the draw is complete (one per tender)."""
    tender = get_object_or_404(Tender.objects.select_related("region"), pk=tender_id)
    if not can(request.user, OPEN_PERMISSION, tender):  # who asks comes before what they typed
        raise PermissionDenied
    draw = Draw.objects.filter(tender=tender, status=Draw.Status.COMPLETE).first()
    form = OpenSessionForm(request.POST, draw=draw)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(request, tender)
    try:
        session = session_actions.open_session(actor=request.user, tender_id=tender.pk,
                                               main_venue_id=form.cleaned_data["main_venue"])
    except (Forbidden, NotFound):
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(request, tender)
    messages.success(request, _("The evaluation session is open: check the experts in."))
    return redirect("evaluation:session", session_id=session.pk)


@login_required
def session_page(request, session_id):
    """The live session page. The first snapshot is rendered into the page (the panels a viewer's role
    has); the script then follows the socket."""
    session = get_object_or_404(EvaluationSession.objects.select_related("tender__region"), pk=session_id)
    seen = snapshot(session.pk, request.user)
    if seen is None:  # not a member, nor staff of the tender's region or of a venue, nor its regulator
        raise PermissionDenied
    _seq, snap = seen
    tender = session.tender
    me = snap["me"]
    stage = snap["session"]["stage"]
    order = list(Stage.values)
    steps = [{"value": value, "label": label,
              "state": "current" if value == stage else "done" if order.index(value) < order.index(stage) else "todo"}
             for value, label in Stage.choices]
    config = {
        "session": session.pk,
        "ws": f"/ws/evaluation/{session.pk}/",
        "stages": dict(Stage.choices),
        "record_url": reverse("records:download", kwargs={"pk": 999999999}).replace("999999999", "{id}"),
        "file_url": reverse("trading:opened_document", kwargs={"pk": tender.pk, "file_pk": 999999999})
        .replace("999999999", "{id}"),
        "answer_file_url": reverse("evaluation:clarification_file", kwargs={"pk": 999999999})
        .replace("999999999", "{id}"),
        "messages": _messages(),
        "errors": _error_messages(),
    }
    context = {"session": session, "tender": tender, "snap": snap, "me": me, "stage": stage, "steps": steps,
               "config": config, "read_only": me["role"] == "regulator",
               "staff": me["role"] in ("host", "venue_staff"), "host": me["role"] == "host",
               "member": me["role"] == "member" and me.get("member") is not None,
               "show": panels(snap), "commitment_text": _commitment_text()}
    return render(request, "evaluation/session_page.html", context)


# --- Texts the page's script shows (translated here, handed over as JSON) ---------------------------

def _commitment_text():
    # 招标投标法 art. 37, 44; 实施条例 art. 46, 49: the undertaking every member signs before evaluating.
    return [
        _("I have no interest in any bidder that could affect the fairness of this evaluation; where I do, "
          "I declare it below and withdraw."),
        _("I evaluate objectively and impartially, only by the standards and the method stated in the tender "
          "documents, and I am personally responsible for my opinions."),
        _("I do not contact bidders privately, accept no property or other benefit, and follow no one's "
          "instructions on the outcome."),
        _("I keep the evaluation, the bids and the committee's deliberations confidential."),
    ]


def _messages():
    return {
        "connecting": _("Connecting…"), "live": _("Live"), "reconnecting": _("Connection lost, reconnecting…"),
        "refused": _("You may not follow this session."),
        "deadline": _("Time left in this stage"), "overdue": _("The stage's time is up (the deadline is informative)."),
        "no_deadline": _("No deadline for this stage."), "checked_in": pgettext("presence", "Checked in"), "not_checked_in": _("Not checked in"),
        "online": _("Online"), "offline": _("Offline"), "committed": _("Commitment signed"),
        "leader": _("Leader"), "removed": _("Removed (conflict)"),
        "submitted": _("Submitted"), "not_submitted": _("Not submitted"), "agreed": _("Agreed"),
        "signed": _("Signed"), "main_venue": _("Main venue"),
        "sub_venue": _("Sub-venue"), "no_venue": _("No venue"), "you": _("you"),
        "check_in": _("Check in"), "code": _("Check-in code"), "id_last4": _("Last four characters of the ID number"),
        "bad_code": _("Enter the expert's check-in code."),
        "bad_last4": _("Enter the last four characters of the expert's ID number."),
        "reason_required": _("Give a reason for a fail."), "pause_reason": _("Give the reason for the pause."),
        "reason_missing": _("Give the reason."), "dissent_required": _("Write your dissent first."),
        "question_required": _("Write the question first."),
        "bad_minutes": _("Enter whole minutes from 1 to 600."),
        "bad_answer_minutes": _("Give the bidder 10 to 1440 minutes to answer."),
        "bad_points": _("Enter points from 0 to %(max)s, with at most two decimals."),
        "pass": _("Pass"), "fail": _("Fail"), "fail_reason": _("Reason for the fail"),
        "qualified": _("Qualified"), "not_qualified": _("Not qualified"), "pending": _("Pending"),
        "anonymous": _("anonymous bid"), "price_computed": _("computed from the price"),
        "mean": _("Committee mean"), "flagged": _("Deviates from the committee mean"),
        "vote": _("Vote"), "bidder": _("Bidder"),
        "confirm_submit": _("Submit your sheet? It is locked afterwards."),
        "confirm_sign": _("Sign the evaluation report?"), "confirm_conflict":
            _("You declare a conflict with the ticked bids: you will be removed from the committee. Continue?"),
        "returned": _("The leader returned your score sheet:"),
        "record_ready": _("The signed evaluation report:"), "download": _("Download"),
        "report_pending": _("The report is being sealed…"), "granted": _("Granted"),
        "agree": _("Agree"), "extension_progress": _("%(agreed)s agreed, %(needed)s needed"), "answer": _("Answer"), "no_answer": _("Not answered yet"),
        "answered_at": _("answered"), "by_deadline": _("answer by"),
        "nothing": _("None yet."), "rank": _("Rank"), "score": _("Score"), "price": _("Price"),
        "evaluated_price": _("Evaluated price"), "candidates": _("Winning candidates"),
        "member_n": _("Member %(n)s"), "voted": _("You voted in this round."),
        "report_error": _("The report could not be produced:"), "dissents": _("Dissenting opinions"),
    }


def _error_messages():
    """The stable error codes of the session's actions (docs/evaluation-session.md), for when a reply
    carries no translated detail."""
    return {
        "wrong_stage": _("This cannot be done at this stage of the session."),
        "paused": _("The session is paused."),
        "not_member": _("Only a member of the committee may do this."),
        "not_leader": _("Only the committee's leader may do this."),
        "not_host": _("Only the host staff may do this."),
        "out_of_bounds": _("The value is outside the allowed range."),
        "bid_not_qualified": _("This bid did not pass the qualification review."),
        "sheet_locked": _("The sheet is submitted and locked."),
        "sheet_incomplete": _("Fill in every cell of the sheet first."),
        "unknown_bid": _("No such bid in this session."),
        "unknown_criterion": _("No such criterion."),
        "reason_required": _("Give a reason for a fail."),
        "not_ready": _("Not everyone is done yet."),
        "wrong_code": _("The check-in code or the ID number does not match."),
        "already_done": _("This was already done."),
        "permission_denied": _("You are not allowed to do this."),
        "read_only": _("Regulators watch; they do not act in the session."),
        "bad_message": _("The page sent a malformed message; reload it."),
        "server_error": _("The server could not handle this message; try again."),
    }
