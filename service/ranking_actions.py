"""The signed quarterly ranking for the city's supervision office: produced by the city's staff, once the
quarter has ended, through records (signed by the producer and the platform seal, logged `record.signed`
with kind service_ranking)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError, Forbidden
from accounts.models import Role
from accounts.permissions import city_region, has_role
from records.actions import produce_record
from records.pki import display_name
from records.render.service_ranking import RankingRow, ServiceRanking

from . import ranking

KIND = "service_ranking"
LABELS = {"on_time": "按时办结率", "satisfaction": "满意率", "days": "平均天数", "remote": "远程评标占比"}


def _pct(rate, part, whole):
    return "—" if rate is None else f"{rate}%（{part}/{whole}）"


def _days(value):
    return "—" if value is None else f"{value}"


def record_title(year, quarter):
    """The Record's title (the renderer's summary) of a quarter's ranking."""
    return f"交易中心服务效能季度排名 · {year}年第{quarter}季度"


def record_data(result, producer, now):
    """The ServiceRanking of a computed ranking, in Chinese, for the renderer."""
    total = sum(result.weights.values()) or 1
    rows = [RankingRow(
        region_name=r.region.name, rank=r.rank, last=r.last,
        on_time=_pct(r.on_time_rate, r.steps_on_time, r.steps_done),
        satisfaction=_pct(r.satisfaction_rate, r.satisfied, r.ratings),
        days_publication=_days(r.stage_average("publication")), days_opening=_days(r.stage_average("opening")),
        days_evaluation=_days(r.stage_average("evaluation")), days_average=_days(r.average_days),
        remote=_pct(r.remote_share, r.remote, r.evaluations),
        score="—" if r.rank is None else f"{r.score}") for r in result.rows]
    last_day = timezone.localtime(result.end).date() - datetime.timedelta(days=1)
    return ServiceRanking(
        quarter=f"{result.year}年第{result.quarter}季度",
        period=f"{timezone.localtime(result.start).date().isoformat()} 至 {last_day.isoformat()}",
        issued_at=now, producer=display_name(producer), rows=rows,
        weights="，".join(f"{LABELS[k]} {round(100 * v / total)}%" for k, v in result.weights.items() if k in LABELS))


def produce_ranking_pdf(*, actor, year, quarter):
    """City staff produce the signed ranking of an ended quarter. Returns the Record."""
    if not has_role(actor, Role.STAFF, city_region()):
        raise Forbidden(_("Only the city trading center's staff produce the ranking for the supervision office."))
    now = timezone.now()
    result = ranking.compute(year, quarter, now)
    if result.provisional:
        raise DomainError("quarter_open", _("The quarter has not ended: its ranking is still provisional."),
                          http_status=409)
    return produce_record(KIND, record_data(result, actor, now), signers=(actor,), actor=actor,
                          region=city_region())
