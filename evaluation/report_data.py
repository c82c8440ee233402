"""The evaluation report's data (records.render.evaluation_report.EvaluationReport) from a finished
session in the database (docs/evaluation-session.md; 实施条例 art. 53).

Only the active committee appears: a member removed for a declared conflict neither scored nor signs.
The session's canonical results are used as they are: qualification from `BidResult` (votes counted
from `QualificationVote`), the price scores from `BidResult.price_score` (the same on every sheet), the
experts' points from `Score`, the candidates from `session.ranking`. The renderer recomputes the ranking
from the sheets and refuses a report whose candidates disagree with it.

A bounded number of queries, whatever the size (30 bids × 9 experts × 20 criteria is ~5,000 scores).
"""

from collections import Counter, defaultdict
from decimal import Decimal

from records.pki import display_name
from records.render.evaluation_report import (
    METHODS,
    Bidder,
    Candidate,
    Criterion,
    Dissent,
    EvaluationReport,
    Expert,
    QualificationResult,
)

from .models import BidResult, EvaluationSession, Member, QualificationVote, Score

KIND_GROUPS = {"price": "价格", "technical": "技术", "commercial": "商务"}
SUFFIXES = "甲乙丙丁戊己庚辛壬癸"
REASON_SEPARATOR = "；"


def committee(session) -> list:
    """The active members in seat order (the order they sign in), with expert, user, venue and seat."""
    return list(Member.objects.filter(session=session, removed_at__isnull=True)
                .select_related("expert", "user", "venue", "seat__requirement__specialty__parent")
                .order_by("seat__counter", "id"))


def _unique_names(members) -> dict:
    """{member id: the name printed}: the expert's name, with （甲）, （乙）… when two share it."""
    counts = Counter(m.expert.name for m in members)
    seen = Counter()
    names = {}
    for m in members:
        name = m.expert.name
        if counts[name] > 1:
            k = seen[name]
            seen[name] += 1
            name = f"{name}（{SUFFIXES[k] if k < len(SUFFIXES) else k + 1}）"
        names[m.pk] = name
    return names


def _bidders(session, results):
    bidders, codes = [], {}
    for n, result in enumerate(results, 1):
        bid = result.bid.bid
        letter = result.bid.bid_letter or {}
        duration = letter.get("duration_days")
        quality = letter.get("quality")
        code = session.codes.get(str(result.bid_id)) or f"B{n:02d}"
        codes[result.bid_id] = code
        bidders.append(Bidder(
            code=code, name=bid.organization.name, credit_code=bid.organization.credit_code,
            price_fen=result.price_fen,
            duration_days=duration if isinstance(duration, int) and not isinstance(duration, bool) else None,
            quality=quality if isinstance(quality, str) else "",
        ))
    return bidders, codes


def _qualification(session, results, codes, member_ids):
    names = session.terms["qualification_criteria"]
    votes = defaultdict(lambda: [0, 0])  # (bid, criterion) → [pass, fail]
    for bid_id, criterion, passed in (QualificationVote.objects.filter(member_id__in=member_ids)
                                      .values_list("bid_id", "criterion", "passed")):
        votes[(bid_id, criterion)][0 if passed else 1] += 1
    out = []
    for result in results:
        failed = {f["criterion"]: f.get("reasons", []) for f in result.fail_reasons or []}
        for i, name in enumerate(names):
            yes, no = votes[(result.bid_id, i)]
            reasons = list(dict.fromkeys(r.strip() for r in failed.get(i, []) if r and r.strip()))
            out.append(QualificationResult(bidder=codes[result.bid_id], criterion=name, passed=i not in failed,
                                           votes_pass=yes, votes_fail=no, reason=REASON_SEPARATOR.join(reasons)))
    return out


def _criteria(session):
    return [Criterion(code=f"C{i:02d}", name=c["name"], max_points=Decimal(c["weight"]),
                      group=KIND_GROUPS.get(c.get("kind"), ""))
            for i, c in enumerate(session.terms.get("criteria") or [], 1)]


def _scores(session, results, codes, members, names):
    """scores[expert][bidder][criterion code]; the price criterion's points are the computed price score."""
    criteria = session.terms.get("criteria") or []
    if session.terms.get("method") != "comprehensive" or not criteria:
        return {}
    qualified = [r for r in results if r.qualified]
    entered = {(m, b, c): p for m, b, c, p in Score.objects.filter(
        member_id__in=[m.pk for m in members], bid_id__in=[r.bid_id for r in qualified])
        .values_list("member_id", "bid_id", "criterion", "points")}
    scores = {}
    for m in members:
        sheets = scores[names[m.pk]] = {}
        for r in qualified:
            sheet = {}
            for i, c in enumerate(criteria):
                points = r.price_score if c["kind"] == "price" else entered.get((m.pk, r.bid_id, i))
                if points is not None:  # a missing cell stays missing: the renderer refuses the sheet
                    sheet[f"C{i + 1:02d}"] = points
            sheets[codes[r.bid_id]] = sheet
    return scores


def _candidates(session, codes):
    ranking = session.ranking or {}
    wanted = set(ranking.get("candidates") or [])
    out = []
    for row in ranking.get("order") or []:
        if row["bid"] not in wanted:
            continue
        out.append(Candidate(rank=row["rank"], bidder=codes[row["bid"]],
                             score=Decimal(row["score"]) if row.get("score") is not None else None,
                             evaluated_price_fen=row.get("evaluated_price_fen")))
    return out


def _venues(session, members):
    venues = {}
    for m in members:
        if m.venue_id:
            venues.setdefault(m.venue_id, m.venue.name)
    main = session.main_venue_id
    ordered = sorted(venues, key=lambda v: (v != main, venues[v]))
    return [f"{venues[v]}（{'主场' if v == main else '副场'}）" for v in ordered]


def _conclusion(candidates, method):
    if not candidates:
        return ""
    return (f"评标委员会按招标文件规定的评标办法（{method}）完成评审，推荐中标候选人 {len(candidates)} 名，"
            "排序如上。")


def report_data(session) -> EvaluationReport:
    """The report of `session` (an EvaluationSession or its id) as it stands: call it once every active
    member has signed. Raises KeyError or ValueError only on a session whose rows contradict each other
    (the renderer's own checks then say what)."""
    if not isinstance(session, EvaluationSession):
        session = EvaluationSession.objects.get(pk=session)
    session = (EvaluationSession.objects.select_related("tender__project__owner", "tender__region")
               .get(pk=session.pk))
    tender, terms = session.tender, session.terms
    members = committee(session)
    names = _unique_names(members)
    results = list(BidResult.objects.filter(session=session)
                   .select_related("bid__bid__organization").order_by("bid__bid__submitted_at", "bid_id"))
    bidders, codes = _bidders(session, results)
    method_kind = terms.get("method") or tender.evaluation_method
    method = METHODS.get(method_kind, method_kind)
    experts = []
    for m in members:
        specialty = m.seat.requirement.specialty
        signer = display_name(m.user) if m.user_id else ""
        experts.append(Expert(
            name=names[m.pk], role="组长" if m.pk == session.leader_id else "成员",
            specialty=str(specialty) if specialty else "", venue=m.venue.name if m.venue_id else "",
            signer="" if signer == names[m.pk] else signer,
        ))
    signed = [m.signed_at for m in members if m.signed_at]
    candidates = _candidates(session, codes)
    return EvaluationReport(
        tender_code=tender.code, tender_name=tender.title, project_name=tender.project.name,
        tenderer=tender.project.owner.name, agency="—", method=method,
        started_at=session.opened_at, finished_at=max(signed, default=session.opened_at),
        venues=_venues(session, members), experts=experts, bidders=bidders,
        qualification_criteria=list(terms["qualification_criteria"]),
        qualification=_qualification(session, results, codes, [m.pk for m in members]),
        criteria=_criteria(session) if method_kind == "comprehensive" else [],
        scores=_scores(session, results, codes, members, names),
        candidates=candidates,
        dissents=[Dissent(expert=names[m.pk], subject="评标结果", opinion=m.dissent) for m in members if m.dissent],
        conclusion=_conclusion(candidates, method),
        method_kind=method_kind, trim_extremes=bool(terms.get("trim_extremes", False)),
    )
