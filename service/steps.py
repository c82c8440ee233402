"""The trading centers' service steps, read from the trading log (docs/service-efficiency.md).

A step starts with one log entry and ends with the first of its end entries after it, per subject (a
tender, or a green-channel request): like trading/green/milestones.py, a step is met only by trading-log
events, so nobody can edit a table into looking on time. Nothing here is stored; the scan
(service.actions.scan_overdue) stores only the overdue items, for their causes.

A cancel entry (the tender failed, was terminated or re-tendered) ends a step with nothing left to do:
it is neither done nor overdue from then on.
"""

import json
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Region
from ledger.models import Entry
from trading.calendar import Calendar
from trading.green.queue import approved_green
from trading.models import Tender

from . import limits

CANCELS = ("tender.failed", "tender.terminated", "tender.retendered")


@dataclass(frozen=True)
class Step:
    starts: tuple
    ends: tuple
    cancels: tuple = CANCELS
    subject: str = "tender"  # or "green_request": the payload's request id
    # An end entry logged before the start already does the step (a draw requested before the opening
    # closes, as centers do so that the experts are there in time).
    early_end_counts: bool = False


STEPS = {
    "review": Step(("tender.submitted",), ("tender.published", "tender.returned")),
    "draw": Step(("opening.closed",), ("draw.requested",), early_end_counts=True),
    "report": Step(("evaluation.ranked",), ("evaluation.closed",)),
    "green_answer": Step(("green.requested",), ("green.approved", "green.refused"), (), "green_request"),
}
ACTIONS = {a for s in STEPS.values() for a in (*s.starts, *s.ends, *s.cancels)}

PENDING, ON_TIME, LATE, OVERDUE, CANCELLED = "pending", "on_time", "late", "overdue", "cancelled"


@dataclass
class Instance:
    step: str
    subject: str  # a tender code, or "green:<request id>"
    start: Entry
    end: Entry | None = None
    cancelled: Entry | None = None
    tender: Tender | None = None
    region_id: int | None = None
    green: bool = False
    due: object = None

    @property
    def key(self):
        return f"{self.step}:{self.start.seq}"

    def state(self, now):
        if self.cancelled is not None:
            return CANCELLED
        if self.end is not None:
            return ON_TIME if self.end.seq < self.start.seq or self.end.created_at <= self.due else LATE
        return OVERDUE if now > self.due else PENDING

    @property
    def done(self):
        return self.end is not None or self.cancelled is not None


def _subject(entry, step):
    if step.subject == "tender":
        return entry.tender_ref or None
    request = json.loads(entry.payload).get("green_request")
    return f"green:{request}" if request is not None else None


def instances(entries=None, calendar=None):
    """[Instance] from `entries` (default: every log entry of a step action), in start order, each with
    its tender, region, green-channel flag and due instant."""
    if entries is None:
        entries = Entry.objects.filter(action__in=ACTIONS).order_by("seq")
    open_, out, ended = {}, [], {}
    for e in entries:
        for name, step in STEPS.items():
            if e.action not in (*step.starts, *step.ends, *step.cancels):
                continue
            subject = _subject(e, step)
            if subject is None:
                continue
            current = open_.get((name, subject))
            if e.action in step.starts and current is None:
                inst = Instance(name, subject, e)
                out.append(inst)
                if step.early_end_counts and (name, subject) in ended:
                    inst.end = ended[(name, subject)]
                else:
                    open_[(name, subject)] = inst
            elif e.action in step.ends and current is None:
                ended[(name, subject)] = e
            elif current is not None and e.action in step.ends:
                current.end = e
                del open_[(name, subject)]
            elif current is not None and e.action in step.cancels:
                current.cancelled = e
                del open_[(name, subject)]
    _annotate(out, calendar or Calendar())
    return out


def _annotate(found, calendar):
    codes = {i.subject for i in found if not i.subject.startswith("green:")}
    tenders = {t.code: t for t in Tender.objects.filter(code__in=codes).annotate(green=approved_green())
               .select_related("region")}
    regions = dict(Region.objects.values_list("code", "pk"))
    for inst in found:
        inst.tender = tenders.get(inst.subject)
        inst.green = bool(inst.tender and inst.tender.green)
        inst.region_id = inst.tender.region_id if inst.tender else regions.get(inst.start.region_code)
        inst.due = limits.due(inst.start.created_at, limits.limit(inst.step, inst.green), calendar)


def for_tender(tender, calendar=None):
    """The steps of one tender, for its page and for closing an item."""
    qs = Entry.objects.filter(tender_ref=tender.code, action__in=ACTIONS).order_by("seq")
    return instances(qs, calendar)


def find(key, calendar=None):
    """The instance with `key` ("step:start seq"), or None."""
    step, _sep, seq = key.partition(":")
    try:
        start = Entry.objects.get(seq=int(seq))
    except (Entry.DoesNotExist, ValueError):
        return None
    if STEPS[step].subject == "tender":
        qs = Entry.objects.filter(tender_ref=start.tender_ref, action__in=ACTIONS, seq__gte=start.seq)
    else:
        qs = Entry.objects.filter(action__in=(*STEPS[step].starts, *STEPS[step].ends), seq__gte=start.seq)
    return next((i for i in instances(qs.order_by("seq"), calendar) if i.key == key), None)


def overdue_now(now=None, calendar=None):
    """The instances past their limit at `now`: still pending, or done late."""
    now = now or timezone.now()
    return [i for i in instances(calendar=calendar) if i.state(now) in (OVERDUE, LATE)]
