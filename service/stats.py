"""阳光交易 in numbers: the statistics of the public and internal views, the screen and the Excel export
(docs/statistics.md). Read-only, a fixed number of queries whatever the data.

What is counted, and from where:
- a tender counts once published (`Tender.published_at`), in the local month of its publication;
- bids are counted only for tenders whose bid deadline has passed (招标投标法 art. 22: the number of
  bidders stays secret until then), submitted bids only (withdrawn and replaced ones do not count);
- the savings rate (节资率) is (Σ budget − Σ award price) / Σ budget over awarded tenders, budget being
  `Tender.estimated_price_fen` and the award price `Award.price_fen`, both integer fen;
- days from publication to award come from the trading log: the first `tender.published` entry and the
  `award.confirmed` entry of each tender, per county;
- an evaluation is remote (远程异地评标) when its members sat in more than one venue, and cross-county
  (跨区县) when a member sat in a venue of another region than the tender's;
- green-channel projects are approved requests; days saved as in the monthly summary (trading/green/).
"""

from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Region
from evaluation.models_session import EvaluationSession, Member
from ledger.models import Entry
from trading.calendar import LOCAL
from trading.green import milestones as ms
from trading.green.summary import days_saved
from trading.models import Bid, Category, Tender
from trading.models_award import Award
from trading.models_green import GreenChannelRequest, Milestone

MONTHS = 12


def savings_rate(budget_fen, award_fen):
    """(budget − award) / budget as a percentage with 2 decimals, or None without a budget."""
    if not budget_fen:
        return None
    return round((budget_fen - award_fen) * 100 / budget_fen, 2)


def month_of(moment):
    return moment.astimezone(LOCAL).strftime("%Y-%m")


def _row():
    return {"tenders": 0, "bids": 0, "budget_fen": 0, "awards": 0, "awarded_budget_fen": 0, "award_fen": 0,
            "failed": 0}


def _finish(row):
    row["savings_rate"] = savings_rate(row["awarded_budget_fen"], row["award_fen"])
    return row


def publication_to_award_days(tender_codes):
    """{tender code: days (float)} from the first `tender.published` to `award.confirmed`, read from the log."""
    published, awarded = {}, {}
    rows = (Entry.objects.filter(tender_ref__in=list(tender_codes), action__in=["tender.published", "award.confirmed"])
            .order_by("seq").values_list("tender_ref", "action", "created_at"))
    for code, action, at in rows:
        (published if action == "tender.published" else awarded).setdefault(code, at)
    return {code: (awarded[code] - published[code]).total_seconds() / 86400
            for code in awarded if code in published}


def evaluation_counts(tender_ids):
    """{"sessions", "remote", "cross_county"} for the evaluation sessions of these tenders."""
    sessions = dict(EvaluationSession.objects.filter(tender_id__in=tender_ids).values_list("pk", "tender__region_id"))
    venues, cross = defaultdict(set), set()
    members = (Member.objects.filter(session_id__in=list(sessions), removed_at__isnull=True, venue__isnull=False)
               .values_list("session_id", "venue_id", "venue__region_id"))
    for session_id, venue_id, venue_region in members:
        venues[session_id].add(venue_id)
        if venue_region != sessions[session_id]:
            cross.add(session_id)
    return {"sessions": len(sessions), "remote": sum(1 for v in venues.values() if len(v) > 1),
            "cross_county": len(cross)}


def green_counts(region_ids, now):
    """Approved green-channel projects of these regions and the days their tenders saved."""
    requests = list(GreenChannelRequest.objects.filter(status=GreenChannelRequest.Status.APPROVED,
                                                       project__region_id__in=region_ids).values_list("pk", flat=True))
    if not requests:
        return {"projects": 0, "days_saved": 0}
    rows = Milestone.objects.filter(request_id__in=requests).select_related("tender").order_by("tender_id", "position")
    return {"projects": len(requests), "days_saved": days_saved(ms.states(rows, now=now))}


def statistics(region_ids=None, *, internal=False, now=None):
    """The numbers of the tenders of `region_ids` (None: every region), as plain JSON-ready data.

    `internal` adds what only staff and regulators see: the failed tenders by name with their reason."""
    now = now or timezone.now()
    regions = Region.objects.all() if region_ids is None else Region.objects.filter(pk__in=region_ids)
    regions = list(regions.order_by("sort_order", "code"))
    region_ids = [r.pk for r in regions]
    tenders = list(Tender.objects.filter(region_id__in=region_ids, published_at__isnull=False)
                   .annotate(counted_bids=Count("bids", filter=Q(bids__status=Bid.Status.SUBMITTED)))
                   .values("pk", "code", "title", "region_id", "category", "status", "estimated_price_fen",
                           "published_at", "bid_deadline", "counted_bids", "failure_reason"))
    awards = dict(Award.objects.filter(tender_id__in=[t["pk"] for t in tenders]).values_list("tender_id", "price_fen"))
    days = publication_to_award_days([t["code"] for t in tenders if t["pk"] in awards])

    total, by_region, by_category = _row(), defaultdict(_row), defaultdict(_row)
    by_month, region_days, failed = defaultdict(_row), defaultdict(list), []
    for t in tenders:
        rows = (total, by_region[t["region_id"]], by_category[t["category"]], by_month[month_of(t["published_at"])])
        # 招标投标法 art. 22: before the deadline nobody learns how many have bid.
        bids = t["counted_bids"] if t["bid_deadline"] <= now else 0
        award = awards.get(t["pk"])
        for row in rows:
            row["tenders"] += 1
            row["bids"] += bids
            row["budget_fen"] += t["estimated_price_fen"]
            if award is not None:
                row["awards"] += 1
                row["awarded_budget_fen"] += t["estimated_price_fen"]
                row["award_fen"] += award
            if t["status"] == Tender.Status.FAILED:
                row["failed"] += 1
        if t["code"] in days:
            region_days[t["region_id"]].append(days[t["code"]])
        if t["status"] == Tender.Status.FAILED:
            failed.append({"code": t["code"], "title": t["title"], "reason": t["failure_reason"]})

    region_rows = []
    for region in regions:
        row = _finish(by_region[region.pk])
        spans = region_days.get(region.pk, [])
        row.update(code=region.code, name=region.name,
                   avg_days_to_award=round(sum(spans) / len(spans), 1) if spans else None)
        region_rows.append(row)
    category_rows = [dict(_finish(by_category[key]), key=key, name=str(label)) for key, label in Category.choices]
    data = {
        "generated_at": now.isoformat(),
        "scope": "internal" if internal else "public",
        "totals": _finish(total),
        "by_region": region_rows,
        "by_category": category_rows,
        "by_month": [dict(_finish(by_month[m]), month=m) for m in last_months(now)],
        "evaluations": evaluation_counts([t["pk"] for t in tenders]),
        "green": green_counts(region_ids, now),
    }
    if internal:
        data["failed_tenders"] = failed
    return data


def last_months(now, count=MONTHS):
    """The `count` local months up to `now`'s, oldest first, as "YYYY-MM"."""
    local = now.astimezone(LOCAL)
    year, month = local.year, local.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]

