"""Each milestone's state, from the trading log (issue 12): a milestone is met when its stage's log
entry exists, so nobody can edit the board into looking good. Nothing here is stored.

States: met (the event happened by the end of the target day), late (it happened after), on track,
at risk (no more than settings.GREEN_CHANNEL_AT_RISK_DAYS working days left), overdue (the target day
has passed without the event).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Entry

from ..calendar import Calendar, local_date
from .plan import working_days_between

# The log entries that meet each milestone (the first one counts).
EVENTS = {
    "document_review": ("tender.published", "tender.returned"),
    "publication": ("tender.published",),
    "opening": ("opening.closed",),
    "draw": ("draw.complete",),
    "evaluation": ("evaluation.closed",),
    "candidate_publicity": ("publicity.published",),
    "award": ("award.confirmed",),
}
# Stage events shown to the officer (read from the log; "notification of every stage event").
STAGE_ACTIONS = (
    "tender.submitted", "tender.returned", "tender.published", "tender.amended", "tender.documents_open",
    "tender.documents_closed", "tender.bids_closed", "tender.failed", "opening.started", "opening.closed",
    "draw.requested", "draw.complete", "evaluation.session_opened", "evaluation.stage", "evaluation.closed",
)

MET, LATE, ON_TRACK, AT_RISK, OVERDUE, PENDING = "met", "late", "on_track", "at_risk", "overdue", "pending"
LABELS = {
    MET: _("Met"), LATE: _("Met late"), ON_TRACK: _("On track"), AT_RISK: _("At risk"),
    OVERDUE: _("Overdue"), PENDING: _("Pending (stage not on the platform yet)"),
}
MISSED = {LATE, OVERDUE}


@dataclass(frozen=True)
class MilestoneState:
    milestone: object
    state: str
    met_at: object  # aware datetime of the log entry, or None
    seq: int | None

    @property
    def label(self):
        return LABELS[self.state]

    @property
    def missed(self):
        return self.state in MISSED


def first_events(tender_codes):
    """{tender code: {action: (time, seq)}}: the first log entry of each milestone action per tender."""
    wanted = {a for actions in EVENTS.values() for a in actions}
    found = defaultdict(dict)
    rows = (Entry.objects.filter(tender_ref__in=list(tender_codes), action__in=wanted)
            .order_by("seq").values_list("tender_ref", "action", "created_at", "seq"))
    for code, action, at, seq in rows:
        found[code].setdefault(action, (at, seq))
    return found


def state_of(kind, target, events, now, calendar):
    """(state, time, seq) of a milestone of `kind` due at the end of local day `target`."""
    hits = [events[a] for a in EVENTS[kind] if a in events]
    if hits:
        at, seq = min(hits, key=lambda hit: hit[1])
        return (MET if local_date(at) <= target else LATE), at, seq
    if not EVENTS[kind]:
        return PENDING, None, None
    today = local_date(now)
    if today > target:
        return OVERDUE, None, None
    if working_days_between(calendar, today, target) <= getattr(settings, "GREEN_CHANNEL_AT_RISK_DAYS", 1):
        return AT_RISK, None, None
    return ON_TRACK, None, None


def states(milestones, now=None, calendar=None):
    """[MilestoneState] for `milestones` (with their tender loaded), in their order: one log query."""
    milestones = list(milestones)
    now = now or timezone.now()
    calendar = calendar or Calendar()
    events = first_events({m.tender.code for m in milestones})
    out = []
    for m in milestones:
        state, at, seq = state_of(m.kind, m.target, events.get(m.tender.code, {}), now, calendar)
        out.append(MilestoneState(m, state, at, seq))
    return out


def stage_events(tender_codes, limit=50):
    """The latest stage entries of these tenders, newest first (the officer's notifications)."""
    return list(Entry.objects.filter(tender_ref__in=list(tender_codes), action__in=STAGE_ACTIONS)
                .order_by("-seq")[:limit])
