"""Collusion alert rules (围标串标; issue 15). Each rule reads the database and returns findings:
{"rule", "subject_key", "tender_ref", "region_code", "evidence"}; `scan` stores new ones as Alert rows
(unique per rule and subject, so a rerun adds nothing) and never changes or deletes an existing alert.

The rules on where bids came from and on document metadata are in alerts_origin.py. Every tender rule
reads a tender only once its bid deadline has passed (招标投标法 art. 22: who has bid stays secret until then).
"""

import datetime
import itertools
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django_tasks import task

from accounts.models import Region, Role, RoleAssignment, User
from ledger.models import Entry
from trading import calendar
from trading.models import Bid, OpenedBid, OpenedFile, Tender

from . import alerts_origin, policies_alerts  # noqa: F401  (registers alerts.view/review, also imported by apps.py)
from .models_alerts import Alert
from .models_session import Member, Score

CLOSE_PRICE_RATIO = Decimal("0.005")  # two prices within 0.5 % of the lower one
FAVOUR_RATIO = Decimal("1.20")  # an expert's total above the other members' mean by more than 20 %
FAVOUR_SESSIONS = 2  # in at least this many sessions
CRITICAL_WINDOW = datetime.timedelta(hours=24)  # before the bid deadline


def _finding(rule, key, tender, evidence):
    return {"rule": rule, "subject_key": key, "tender_ref": tender.code if tender else "",
            "region_code": tender.region.code if tender else "", "evidence": evidence}


def _opened_bids(tender):
    return list(OpenedBid.objects.filter(bid__tender=tender, outcome=OpenedBid.Outcome.OPENED)
                .select_related("bid__organization").order_by("bid_id"))


def _org(opened):
    org = opened.bid.organization
    return {"organization_id": org.pk, "organization": org.name, "bid_id": opened.bid_id,
            "receipt_no": opened.bid.receipt_no}


# --- (1) identical opened bid files ---------------------------------------------------------------

def same_files(tender):
    by_hash = defaultdict(list)
    files = OpenedFile.objects.filter(opened__bid__tender=tender, opened__outcome=OpenedBid.Outcome.OPENED)
    for f in files.select_related("opened__bid__organization").order_by("id"):
        by_hash[f.sha256].append(f)
    findings = []
    for digest, group in sorted(by_hash.items()):
        orgs = {f.opened.bid.organization_id for f in group}
        if len(orgs) < 2:
            continue
        findings.append(_finding(Alert.Rule.SAME_FILE, f"{tender.code}:{digest}", tender, {
            "sha256": digest,
            "files": [{**_org(f.opened), "file": f.name, "size": f.size} for f in group],
        }))
    return findings


# --- (2) prices close together or in an arithmetic pattern -----------------------------------------

def _price(opened):
    value = (opened.bid_letter or {}).get("price")
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def prices(tender):
    priced = sorted(((p, o) for o in _opened_bids(tender) if (p := _price(o)) is not None), key=lambda x: (x[0], x[1].bid_id))
    findings = []
    for (pa, a), (pb, b) in itertools.combinations(priced, 2):
        if a.bid.organization_id == b.bid.organization_id or pa <= 0:
            continue
        if Decimal(pb - pa) <= CLOSE_PRICE_RATIO * Decimal(pa):
            findings.append(_finding(Alert.Rule.CLOSE_PRICES, f"{tender.code}:{a.bid_id}-{b.bid_id}", tender, {
                "bids": [{**_org(a), "price_fen": pa}, {**_org(b), "price_fen": pb}],
                "difference_fen": pb - pa,
            }))
    # The longest run of ≥ 3 distinct prices with one common difference (sorted ascending).
    values = sorted({p for p, _o in priced})
    best = []
    for i, j in itertools.combinations(range(len(values)), 2):
        step = values[j] - values[i]
        run = [values[i], values[j]]
        while run[-1] + step in values:
            run.append(run[-1] + step)
        if len(run) >= 3 and len(run) > len(best):
            best = run
    if best:
        members = [{**_org(o), "price_fen": p} for p, o in priced if p in best]
        findings.append(_finding(Alert.Rule.PRICE_PATTERN, f"{tender.code}:{'-'.join(map(str, best))}", tender, {
            "bids": members, "step_fen": best[1] - best[0],
        }))
    return findings


# --- (3) bidder organizations sharing a phone, e-mail or legal representative ----------------------

def shared_contacts(tender):
    """Phones and e-mails are those of the users of each bidding organization (User.phone, User.email);
    the legal representative (法定代表人) is the organization's own, compared by name."""
    orgs = {b.organization_id: b.organization for b in Bid.objects.filter(tender=tender).select_related("organization")}
    findings = []
    holders = defaultdict(set)
    for org_id, org in orgs.items():
        if org.legal_representative.strip():
            holders[org.legal_representative.strip()].add(org_id)
    for value, org_ids in sorted(holders.items()):
        if len(org_ids) >= 2:
            findings.append(_finding(Alert.Rule.SHARED_CONTACT, f"{tender.code}:legal_representative:{value}", tender, {
                "field": "legal_representative", "value": value,
                "organizations": [{"organization_id": i, "organization": orgs[i].name} for i in sorted(org_ids)],
            }))
    for field in ("phone", "email"):
        holders = defaultdict(set)
        rows = User.objects.filter(organization_id__in=orgs).exclude(**{field: ""}).values_list(field, "organization_id")
        for value, org_id in rows:
            holders[value.strip().lower()].add(org_id)
        for value, org_ids in sorted(holders.items()):
            if len(org_ids) < 2:
                continue
            findings.append(_finding(Alert.Rule.SHARED_CONTACT, f"{tender.code}:{field}:{value}", tender, {
                "field": field, "value": value,
                "organizations": [{"organization_id": i, "organization": orgs[i].name} for i in sorted(org_ids)],
            }))
    return findings


# --- (6) staff acting outside working hours in the 24 h before the deadline -----------------------

def off_hours(tender, cal=None):
    cal = cal or calendar.Calendar()
    staff_ids = set(RoleAssignment.objects.filter(role=Role.STAFF).values_list("user_id", flat=True))
    entries = Entry.objects.filter(tender_ref=tender.code, actor_id__in=staff_ids,
                                   created_at__gte=tender.bid_deadline - CRITICAL_WINDOW,
                                   created_at__lte=tender.bid_deadline).order_by("seq")
    findings = []
    for e in entries:
        local = e.created_at.astimezone(calendar.LOCAL)
        night = local.hour >= 22 or local.hour < 6
        rest = cal.is_rest_day(local.date())
        if not (night or rest):
            continue
        findings.append(_finding(Alert.Rule.OFF_HOURS, f"{tender.code}:{e.seq}", tender, {
            "seq": e.seq, "action": e.action, "actor": e.actor_name, "local_time": local.isoformat(),
            "night": night, "rest_day": rest, "bid_deadline": tender.bid_deadline.isoformat(),
        }))
    return findings


# --- (5) an expert favouring one organization across sessions --------------------------------------

def expert_favour():
    """Per session and bid: each member's total over the scored criteria against the mean total of the
    other members; flagged when one expert exceeds that mean by more than 20 % for the same organization
    in at least two sessions."""
    totals = defaultdict(Decimal)  # (session, bid, member) -> points
    rows = Score.objects.filter(member__removed_at__isnull=True).values_list(
        "member__session_id", "bid_id", "member_id", "points")
    for session_id, bid_id, member_id, points in rows:
        totals[(session_id, bid_id, member_id)] += points
    per_bid = defaultdict(dict)
    for (session_id, bid_id, member_id), total in totals.items():
        per_bid[(session_id, bid_id)][member_id] = total
    members = {m.pk: m for m in Member.objects.filter(pk__in={k[2] for k in totals}).select_related("expert")}
    bids = {o.pk: o for o in OpenedBid.objects.filter(pk__in={k[1] for k in totals})
            .select_related("bid__organization", "bid__tender__region")}
    hits = defaultdict(list)  # (expert, organization) -> [evidence per session]
    for (session_id, bid_id), by_member in per_bid.items():
        if len(by_member) < 2:
            continue
        for member_id, total in by_member.items():
            others = [t for m, t in by_member.items() if m != member_id]
            mean = sum(others) / len(others)
            if mean > 0 and total > mean * FAVOUR_RATIO:
                opened = bids[bid_id]
                hits[(members[member_id].expert_id, opened.bid.organization_id)].append({
                    "session_id": session_id, "tender": opened.bid.tender.code,
                    "region": opened.bid.tender.region.code, "bid_id": bid_id,
                    "expert_total": str(total), "others_mean": str(mean.quantize(Decimal("0.01"))),
                })
    findings = []
    city = None
    for (expert_id, org_id), sessions in sorted(hits.items()):
        if len({s["session_id"] for s in sessions}) < FAVOUR_SESSIONS:
            continue
        regions = {s["region"] for s in sessions}
        if len(regions) == 1:
            region = regions.pop()
        else:  # tenders of several counties: only a city-wide regulator sees it
            city = city or Region.objects.get(parent__isnull=True).code
            region = city
        expert = next(m.expert for m in members.values() if m.expert_id == expert_id)
        org = next(bids[s["bid_id"]].bid.organization for s in sessions)
        findings.append({"rule": Alert.Rule.EXPERT_FAVOUR, "subject_key": f"expert{expert_id}:org{org_id}",
                         "tender_ref": sessions[-1]["tender"], "region_code": region, "evidence": {
                             "expert_id": expert_id, "expert": expert.name, "organization_id": org_id,
                             "organization": org.name, "sessions": sessions}})
    return findings


# --- (6) objections to the tender documents answered late (实施条例 art. 22; 政府采购法 art. 53) ----

def late_objection_answers(now=None):
    """Objections answered after answer_due (answered_late), or still unanswered past it. One alert per
    objection: a later late answer of an overdue one adds nothing (the evidence shows the first scan)."""
    from django.db.models import Q
    from django.utils import timezone

    from trading.models import Objection

    now = now or timezone.now()
    late = Objection.objects.filter(Q(answered_late=True) | Q(answered_at__isnull=True, answer_due__lt=now))
    findings = []
    for o in late.select_related("tender__region", "organization").order_by("id"):
        findings.append(_finding(Alert.Rule.LATE_ANSWER, f"{o.tender.code}:objection:{o.pk}", o.tender, {
            "objection": o.pk, "organization": o.organization.name, "raised_at": o.raised_at.isoformat(),
            "answer_due": o.answer_due.isoformat(),
            "answered_at": o.answered_at.isoformat() if o.answered_at else None,
            "procurement": o.tender.category == "procurement",
        }))
    return findings


# --- running the rules ----------------------------------------------------------------------------

TENDER_RULES = [("same_file", same_files), ("prices", prices), ("shared_contact", shared_contacts),
                ("off_hours", off_hours), ("same_origin", alerts_origin.same_origin),
                ("same_metadata", alerts_origin.same_metadata)]


def store(findings):
    """Saves findings not stored yet; returns the new alerts."""
    new = []
    for f in findings:
        if Alert.objects.filter(rule=f["rule"], subject_key=f["subject_key"]).exists():
            continue
        try:
            with transaction.atomic():
                new.append(Alert.objects.create(**f))
        except IntegrityError:  # a concurrent scan stored it first
            pass
    return new


def scan(tenders=None, out=None):
    """Runs every rule (tenders: a queryset; default every tender with opened bids or a deadline passed)
    and stores what they find. `out(line)` receives one line per step. Returns the number of new alerts."""
    say = out or (lambda line: None)
    from django.utils import timezone

    if tenders is None:
        tenders = Tender.objects.filter(bids__isnull=False).distinct()
    total = 0
    # 招标投标法 art. 22: before the deadline nobody, regulators included, may learn who has bid.
    for tender in tenders.filter(bid_deadline__lte=timezone.now()).select_related("region").order_by("id"):
        for name, rule in TENDER_RULES:
            new = store(rule(tender))
            total += len(new)
            say(f"{tender.code} {name}: {len(new)} new")
    new = store(expert_favour())
    total += len(new)
    say(f"expert_favour: {len(new)} new")
    new = store(late_objection_answers())
    total += len(new)
    say(f"late_answer: {len(new)} new")
    say(f"done: {total} new alerts")
    return total



@task()
def scan_alerts_task():
    """Runs every alert rule (the lead schedules it); returns the number of new alerts."""
    return scan()


# --- review (the one write on an alert) ------------------------------------------------------------

def visible_alerts(user):
    """The alerts of the regions where the user is a regulator (a city-wide regulator: all of them)."""
    from accounts.permissions import scope_region_ids

    ids = scope_region_ids(user, Role.REGULATOR)
    regions = list(Region.objects.filter(pk__in=ids).values_list("code", "parent_id"))
    if any(parent is None for _code, parent in regions):
        return Alert.objects.all()
    return Alert.objects.filter(region_code__in=[code for code, _parent in regions])


def mark_reviewed(*, actor, alert_id, note):
    """A regulator marks an alert reviewed with a note (logged as alert.reviewed). Refusals: not_found,
    permission_denied, note_required, already_reviewed."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from accounts.errors import DomainError
    from accounts.permissions import check
    from ledger import chain

    note = (note or "").strip()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise DomainError("not_found", _("No such alert."), http_status=404)
        check(actor, "alerts.review", alert)
        if not note:
            raise DomainError("note_required", _("Write a note on what you found."))
        if alert.reviewed_at is not None:
            raise DomainError("already_reviewed", _("This alert has already been reviewed."), http_status=409)
        alert.reviewed_by, alert.reviewed_at, alert.review_note = actor, timezone.now(), note[:4000]
        alert.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
        chain.append("alert.reviewed", actor=actor, role=Role.REGULATOR, region=alert.region_code,
                     tender_ref=alert.tender_ref, payload={"alert": alert.pk, "rule": alert.rule,
                                                           "subject": alert.subject_key, "note": alert.review_note})
    return alert
