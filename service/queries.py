"""Read side of service efficiency: scoped lists for staff and regulators, what a party may rate, and the
public counts per center. Each function is a fixed number of queries."""

import json

from django.db.models import Count, Q

from accounts.models import Region, Role
from accounts.permissions import has_role, scope_region_ids
from ledger.models import Entry
from trading.models import Bid, Objection, Tender

from .actions import SERVICE_OF
from .models import Grade, OverdueItem, Rating, Service
from .policies import BIDDER_SERVICES, OWNER_SERVICES

PUBLIC_COMMENTS = 50


def supervised_region_ids(user):
    """Regions whose overdue items the user sees: staff and regulators, each their scope (city: all)."""
    return scope_region_ids(user, Role.STAFF) | scope_region_ids(user, Role.REGULATOR)


def overdue_items(user, *, open_only=True):
    qs = OverdueItem.objects.filter(region_id__in=supervised_region_ids(user)).select_related(
        "region", "tender", "rating", "closed_by")
    return qs.filter(closed_at__isnull=True) if open_only else qs


def ratings_to_answer(user):
    """不满意 ratings of the user's centers not answered yet, soonest due first."""
    return (Rating.objects.filter(region_id__in=scope_region_ids(user, Role.STAFF), grade=Grade.DISSATISFIED,
                                  answered_at__isnull=True)
            .select_related("tender", "region").order_by("answer_due", "id"))


def may_rate(user):
    """Tenderers, agencies and bidders with an organization; never staff (the center does not rate itself)."""
    return (user.organization_id is not None and not has_role(user, Role.STAFF)
            and any(has_role(user, r) for r in (Role.TENDERER, Role.AGENCY, Role.BIDDER)))


def rateable(user):
    """[(entry, service, tender, rating or None)]: the services the user's organization received, newest
    first, with its rating if given. Empty for staff and users without an organization."""
    if not may_rate(user):
        return []
    org, services = user.organization_id, {}
    if has_role(user, Role.TENDERER) or has_role(user, Role.AGENCY):
        for code in Tender.objects.filter(project__owner_id=org).values_list("code", flat=True):
            services.setdefault(code, set()).update(OWNER_SERVICES)
    if has_role(user, Role.BIDDER):
        for code in (Bid.objects.filter(organization_id=org, status=Bid.Status.SUBMITTED)
                     .values_list("tender__code", flat=True)):
            services.setdefault(code, set()).update(BIDDER_SERVICES)
    entries = [e for e in Entry.objects.filter(tender_ref__in=list(services), action__in=SERVICE_OF).order_by("-seq")
               if SERVICE_OF[e.action] in services[e.tender_ref]]
    if has_role(user, Role.BIDDER):  # the answers to the company's own objections
        own = set(Objection.objects.filter(organization_id=org, answered_at__isnull=False).values_list("pk", flat=True))
        entries += [e for e in Entry.objects.filter(action="tender.objection_answered", tender_ref__in=list(
            Tender.objects.filter(objections__organization_id=org).values_list("code", flat=True)))
            if json.loads(e.payload).get("objection") in own]
        entries.sort(key=lambda e: -e.seq)
    tenders = {t.code: t for t in Tender.objects.filter(code__in={e.tender_ref for e in entries})}
    given = {r.entry_seq: r for r in Rating.objects.filter(organization_id=org, entry_seq__in=[e.seq for e in entries])}
    return [(e, Service(SERVICE_OF[e.action]), tenders[e.tender_ref], given.get(e.seq)) for e in entries]


def public_counts():
    """[{region, satisfied, basic, dissatisfied, total, rate}] for every center, the city first."""
    counts = {row["region"]: row for row in Rating.objects.values("region").annotate(
        total=Count("id"), satisfied=Count("id", filter=Q(grade=Grade.SATISFIED)),
        basic=Count("id", filter=Q(grade=Grade.BASIC)), dissatisfied=Count("id", filter=Q(grade=Grade.DISSATISFIED)))}
    out = []
    for region in Region.objects.order_by("sort_order", "code"):
        row = counts.get(region.pk, {"total": 0, "satisfied": 0, "basic": 0, "dissatisfied": 0})
        rate = round(100 * (row["satisfied"] + row["basic"]) / row["total"], 1) if row["total"] else None
        out.append({"region": region, **{k: row[k] for k in ("total", "satisfied", "basic", "dissatisfied")},
                    "rate": rate})
    return out


def public_comments():
    """The latest comments, with nothing that names who wrote them: no person, no organization, and no
    tender (a tender's review has one party, its owner, whom the tender names)."""
    return list(Rating.objects.exclude(comment="").select_related("region")
                .only("service", "grade", "comment", "created_at", "answer", "answered_at", "region__name")
                [:PUBLIC_COMMENTS])
