"""The monthly summary of green-channel service, as plain data for the records renderer
(records.render.green_summary): projects, days saved against ordinary handling, milestones missed."""

import calendar as month_calendar
import datetime

from django.utils import timezone

from ..calendar import Calendar, end_of_day, local_date
from ..models_green import GreenChannelRequest, Milestone
from . import milestones as ms

# Records are legal documents in the official language: fixed Chinese wording (records/render/base.py).
KIND_ZH = {"document_review": "文件审核", "publication": "公告发布", "opening": "开标", "draw": "专家抽取",
           "evaluation": "评标", "candidate_publicity": "候选人公示", "award": "定标"}
STATE_ZH = {ms.MET: "按期完成", ms.LATE: "逾期完成", ms.ON_TRACK: "正常推进", ms.AT_RISK: "临近期限",
            ms.OVERDUE: "已逾期", ms.PENDING: "待办（平台尚无此环节）"}
REASON_ZH = {"major_investment": "重大投资", "investment_promotion": "招商引资", "public_welfare": "重点民生"}


def month_bounds(year, month):
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, month_calendar.monthrange(year, month)[1])
    return first, last


def days_saved(states):
    """Per tender, the ordinary target minus the actual date of its latest milestone met (may be negative)."""
    latest = {}
    for st in states:
        if st.state in (ms.MET, ms.LATE):
            latest[st.milestone.tender_id] = st
    return sum((st.milestone.ordinary_target - local_date(st.met_at)).days for st in latest.values())


def summary_data(year, month, now=None):
    """The GreenChannelSummary fields for the month: every project approved by its end, states as of its
    last day (or now, within the month)."""
    now = now or timezone.now()
    first, last = month_bounds(year, month)
    as_of = min(now, end_of_day(last) - datetime.timedelta(microseconds=1))
    requests = (GreenChannelRequest.objects.filter(status=GreenChannelRequest.Status.APPROVED,
                                                   decided_at__lt=end_of_day(last))
                .select_related("project__region", "officer", "deputy").order_by("decided_at", "id"))
    calendar = Calendar()
    projects = []
    for request in requests:
        rows = Milestone.objects.filter(request=request).select_related("tender").order_by("tender_id", "position")
        # Events after the moment the states are read do not count yet.
        states = [st if st.met_at is None or st.met_at <= as_of else
                  ms.MilestoneState(st.milestone, *ms.state_of(st.milestone.kind, st.milestone.target, {}, as_of,
                                                                 calendar))
                  for st in ms.states(rows, now=as_of, calendar=calendar)]
        missed_in_month = [st for st in states if st.missed and first <= st.milestone.target <= last]
        projects.append({
            "project_code": request.project.code, "project_name": request.project.name,
            "region_name": request.project.region.name, "reason": REASON_ZH[request.reason],
            "investment_fen": request.investment_fen, "officer": str(request.officer or ""),
            "deputy": str(request.deputy or ""), "approved_on": local_date(request.decided_at).isoformat(),
            "days_saved": days_saved(states), "missed": len(missed_in_month),
            "milestones": [{"tender_code": st.milestone.tender.code, "milestone": KIND_ZH[st.milestone.kind],
                            "target": st.milestone.target.isoformat(),
                            "ordinary_target": st.milestone.ordinary_target.isoformat(),
                            "actual": local_date(st.met_at).isoformat() if st.met_at else "",
                            "state": STATE_ZH[st.state]} for st in states],
        })
    return {"month": f"{year:04d}-{month:02d}", "issued_at": now, "as_of": local_date(as_of).isoformat(),
            "projects": projects}
