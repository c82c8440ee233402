"""The signed draw record (评标专家抽取记录, records/render/draw_record.py), built from the database.

Two variants (docs/architecture.md §10; 招标投标法 art. 37: the committee's list stays confidential): the sealed one
when the committee is complete, without any expert's identity, secret or seed; the full one after the
reveal, with both secrets, the seed and every pick and exclusion named. Both are sealed by the platform
and readable by whoever supervises the tender's region (its trading center staff and regulators,
records.policies `record.view`); no bidder or tenderer is a reader.
"""

import json

from django.db.models import Count

from records.actions import produce_record
from records.models import Record
from records.render.draw_record import record_title

from .models import Draw


def _employer(expert):
    if expert.employer_id:
        return expert.employer.name
    return expert.employer_name or expert.employer_credit_code


def draw_record_data(draw: Draw, *, full: bool) -> dict:
    """The records.render.draw_record.DrawRecord fields of `draw`, as a JSON-friendly dict."""
    tender = draw.tender
    requirements = list(draw.requirements.select_related("specialty__parent", "venue").order_by("id"))
    index = {req.pk: i for i, req in enumerate(requirements)}
    seats = list(draw.seats.select_related("expert__employer", "replaces").order_by("counter"))
    document = json.loads(draw.frozen_list) if draw.frozen_list else {"candidates": []}
    counts = dict(draw.exclusions.values_list("reason").annotate(n=Count("id")).order_by("reason"))
    accepted = [s.responded_at for s in seats if s.status == "accepted" and s.responded_at]
    notified = [s.notified_at for s in seats if s.notified_at]
    completed = max(accepted, default=draw.requested_at)

    picks = []
    for seat in seats:
        pick = {
            "counter": seat.counter, "requirement": index[seat.requirement_id], "status": seat.status,
            "replaces": seat.replaces.counter if seat.replaces_id else None,
            "notified_at": seat.notified_at, "responded_at": seat.responded_at,
        }
        if full:
            expert = seat.expert
            pick.update(expert_name=expert.name, id_last4=expert.id_last4, employer=_employer(expert))
        picks.append(pick)
    data = {
        "draw_id": draw.pk, "full": full, "tender_code": tender.code, "tender_name": tender.title,
        "region_name": tender.region.name, "tenderer_name": tender.project.owner.name,
        "requested_at": draw.requested_at, "requested_by": str(draw.requested_by),
        "drawn_at": min(notified, default=None),
        "regulator_name": str(draw.regulator) if draw.regulator_id else "",
        "issued_at": (draw.revealed_at or completed) if full else completed,
        "committee_size": draw.committee_size, "tenderer_representatives": draw.tenderer_representatives,
        "remote": draw.remote,
        "requirements": [{
            "specialty": str(req.specialty), "count": req.count, "venue": req.venue.name if req.venue_id else "",
            "main_venue": req.is_main_venue, "offsite": req.offsite,
        } for req in requirements],
        "candidates": len(document["candidates"]), "exclusion_counts": counts,
        "frozen_list_sha256": draw.frozen_list_sha256, "platform_commitment": draw.platform_commitment,
        "regulator_commitment": draw.regulator_commitment, "picks": picks,
    }
    if full:
        data.update(platform_secret=draw.platform_secret, regulator_secret=draw.regulator_secret, seed=draw.seed,
                    excluded=[{"expert_name": e.expert.name, "id_last4": e.expert.id_last4, "reason": e.reason,
                               "detail": e.detail, "employer": _employer(e.expert)}
                              for e in draw.exclusions.select_related("expert__employer").order_by("id")])
    return data


def produce_draw_record(draw, *, full: bool) -> Record:
    """Render, seal and store the draw record (`full`: the revealed variant) and log `record.signed`.
    `draw`: a Draw or its id. Idempotent: a draw has at most one record of each variant, found by its title (which names the
    draw and the variant), so a retried step returns the first one.

    The platform acts (actor None): the caller is the draw action that has already checked access.
    Rendering and signing run outside any transaction of the records engine (records.actions), so call
    it after the draw's own transaction has committed (transaction.on_commit, or a task)."""
    draw = Draw.objects.select_related("tender__region", "tender__project__owner", "requested_by",
                                       "regulator").get(pk=getattr(draw, "pk", draw))
    title = record_title(draw.pk, draw.tender.title, full=full)[:200]
    existing = Record.objects.filter(kind=Record.Kind.DRAW_RECORD, tender_ref=draw.tender.code, title=title).first()
    if existing is not None:
        return existing
    return produce_record("draw_record", draw_record_data(draw, full=full), tender_ref=draw.tender.code,
                          region=draw.tender.region)
