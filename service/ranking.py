"""Quarterly rankings of the trading centers (docs/service-efficiency.md, "Rankings"; the plan's 一(十):
quarterly ranking, the last place called to account).

Everything is read from the trading log (the steps of service/steps.py, the stage entries, the draw's venues)
and the ratings; nothing is stored but the signed PDF (service/ranking_actions.py). Four measures per center
and quarter, each scored 0–100, combined with the weights of settings SERVICE_RANKING_WEIGHTS:

- on-time rate: steps done in the quarter within their limit / steps done in the quarter;
- satisfaction rate: (满意 + 基本满意) / ratings given in the quarter;
- average days per stage: the mean of the average calendar days of each stage ended in the quarter
  (publication → opening, opening → evaluation closed, evaluation → award); scored best / own × 100;
- share of remote evaluation: evaluations ended in the quarter whose experts sat at more than one venue or
  at a venue outside the tender's own center / evaluations ended.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from accounts.models import Region, Role
from accounts.permissions import has_role
from evaluation.models import Venue
from ledger.models import Entry

from . import steps
from .models import Grade, Rating

WEIGHTS = {"on_time": 40, "satisfaction": 30, "days": 20, "remote": 10}
# A tender's milestones in the log. Its evaluation ends with the session's sealed report
# (evaluation.closed) or, evaluated off the platform, with the report's candidates recorded
# (award.candidates_recorded): the first of them counts.
MILESTONES = {"tender.published": "published", "opening.closed": "opened", "evaluation.closed": "evaluated",
              "award.candidates_recorded": "evaluated", "award.confirmed": "awarded", "draw.requested": "drawn"}
# (stage, the milestone that starts it, the milestone that ends it)
STAGES = (("publication", "published", "opened"), ("opening", "opened", "evaluated"),
          ("evaluation", "evaluated", "awarded"))


def weights():
    """{measure: weight} in force now (a key left out of the setting takes the default)."""
    return {**WEIGHTS, **getattr(settings, "SERVICE_RANKING_WEIGHTS", {})}


def may_view(user):
    """Staff and regulators of any center: the ranking is city-wide."""
    return has_role(user, Role.STAFF) or has_role(user, Role.REGULATOR)


# --- quarters ------------------------------------------------------------------------------------------

def bounds(year, quarter):
    """[start, end) of a quarter as aware instants, in the platform's time zone (Asia/Shanghai)."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
    end = datetime.datetime(year + quarter // 4, 3 * quarter % 12 + 1, 1, tzinfo=tz)
    return start, end


def quarter_of(moment):
    local = timezone.localtime(moment)
    return local.year, (local.month - 1) // 3 + 1


def quarters(now=None):
    """[(year, quarter)] newest first, from the quarter of the first log entry to the current one."""
    now = now or timezone.now()
    # The earliest instant, not the first seq: a replayed history (the demo) logs past instants late.
    first = Entry.objects.aggregate(first=Min("created_at"))["first"] or now
    year, q = quarter_of(now)
    stop, out = quarter_of(min(first, now)), []
    while (year, q) >= stop:
        out.append((year, q))
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out


# --- the figures ----------------------------------------------------------------------------------------

@dataclass
class Row:
    region: Region
    steps_done: int = 0
    steps_on_time: int = 0
    ratings: int = 0
    satisfied: int = 0  # 满意 + 基本满意
    stage_days: dict = field(default_factory=dict)  # stage: [days, ...]
    evaluations: int = 0
    remote: int = 0
    scores: dict = field(default_factory=dict)
    score: float | None = None
    rank: int | None = None
    last: bool = False

    @property
    def active(self):
        return bool(self.steps_done or self.ratings or self.evaluations or any(self.stage_days.values()))

    @property
    def on_time_rate(self):
        return _pct(self.steps_on_time, self.steps_done)

    @property
    def satisfaction_rate(self):
        return _pct(self.satisfied, self.ratings)

    @property
    def remote_share(self):
        return _pct(self.remote, self.evaluations)

    def stage_average(self, stage):
        days = self.stage_days.get(stage) or []
        return round(sum(days) / len(days), 1) if days else None

    days_publication = property(lambda self: self.stage_average("publication"))
    days_opening = property(lambda self: self.stage_average("opening"))
    days_evaluation = property(lambda self: self.stage_average("evaluation"))

    @property
    def average_days(self):
        """The mean of the stage averages the center has in the quarter (None with no stage ended)."""
        found = [a for a in (self.stage_average(s) for s, _a, _b in STAGES) if a is not None]
        return round(sum(found) / len(found), 1) if found else None


def _pct(part, whole):
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Ranking:
    year: int
    quarter: int
    start: datetime.datetime
    end: datetime.datetime
    provisional: bool
    weights: dict
    rows: list  # ranked rows by rank, then the centers with no activity

    @property
    def ranked(self):
        return [r for r in self.rows if r.rank is not None]

    @property
    def inactive(self):
        return [r for r in self.rows if r.rank is None]


def compute(year, quarter, now=None):
    """The Ranking of a quarter as the log and the ratings stand at `now` (provisional until it ends)."""
    now = now or timezone.now()
    start, end = bounds(year, quarter)
    regions = list(Region.objects.order_by("sort_order", "code"))
    rows = {r.pk: Row(r) for r in regions}
    by_code = {r.code: rows[r.pk] for r in regions}

    def inside(moment):
        return start <= moment < end

    for inst in steps.instances():
        if inst.end is None or inst.cancelled is not None or inst.region_id not in rows:
            continue
        if inside(inst.end.created_at):
            row = rows[inst.region_id]
            row.steps_done += 1
            row.steps_on_time += inst.state(now) == steps.ON_TIME
    for region_id, grade in Rating.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "region_id", "grade"):
        row = rows[region_id]
        row.ratings += 1
        row.satisfied += grade in (Grade.SATISFIED, Grade.BASIC)
    _stages(by_code, inside)
    _score(rows.values(), weights())
    ordered = sorted(rows.values(), key=lambda r: (r.rank is None, r.rank or 0, r.region.sort_order, r.region.code))
    return Ranking(year, quarter, start, end, end > now, weights(), ordered)


def _stages(by_code, inside):
    """Stage durations and evaluations from the log, per tender, attributed to the quarter of the entry
    that ends them and to the tender's center (the region of its entries)."""
    venues = dict(Venue.objects.values_list("pk", "region__code"))
    last = {}  # (tender, milestone): its latest entry (for "evaluated": its first)
    for e in Entry.objects.filter(action__in=MILESTONES).exclude(tender_ref="").order_by("seq"):
        milestone = MILESTONES[e.action]
        if milestone == "evaluated" and (e.tender_ref, milestone) in last:
            continue  # the candidates recorded from the session's report: the evaluation ended before
        row = by_code.get(e.region_code)
        if row is not None and inside(e.created_at):
            for stage, begin, finish in STAGES:
                started = last.get((e.tender_ref, begin))
                if milestone == finish and started is not None:
                    days = (e.created_at - started.created_at).total_seconds() / 86400
                    row.stage_days.setdefault(stage, []).append(days)
            if milestone == "evaluated":
                row.evaluations += 1
                row.remote += remote(last.get((e.tender_ref, "drawn")), e.region_code, venues)
        last[(e.tender_ref, milestone)] = e


def remote(draw_entry, region_code, venues):
    """True when the evaluation's experts sat at more than one venue, or at a venue of another center
    than the tender's: the venues of the seats of its draw (the draw.requested entry's requirements).
    A draw naming no venue seats its experts in the center's own hall: not remote."""
    if draw_entry is None:
        return False
    requirements = json.loads(draw_entry.payload).get("requirements") or []
    seated = {r.get("venue") for r in requirements if r.get("venue") is not None}
    return len(seated) > 1 or any(venues.get(v) != region_code for v in seated)


def _score(rows, w):
    """Score each active row 0–100 per measure and combined; rank by the combined score (ties share a
    rank); mark the last place when at least two centers are ranked. A measure a center has no figure
    for is left out of its combination: its weight is shared by the others."""
    active = [r for r in rows if r.active]
    days = [r.average_days for r in active if r.average_days is not None]
    best_days = min(days) if days else None
    for r in active:
        avg = r.average_days
        r.scores = {k: v for k, v in {
            "on_time": r.on_time_rate, "satisfaction": r.satisfaction_rate, "remote": r.remote_share,
            "days": None if avg is None else (100.0 if avg <= 0 else round(100 * best_days / avg, 1)),
        }.items() if v is not None}
        total = sum(w[k] for k in r.scores)
        r.score = round(sum(w[k] * v for k, v in r.scores.items()) / total, 1) if total else 0.0
    active.sort(key=lambda r: -r.score)
    for i, r in enumerate(active):
        r.rank = active[i - 1].rank if i and r.score == active[i - 1].score else i + 1
    if len(active) >= 2 and active[-1].rank > 1:
        for r in active:
            r.last = r.score == active[-1].score
