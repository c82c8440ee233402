"""Service-efficiency actions (docs/architecture.md §2): the overdue scan, closing an overdue item with
its cause, rating a service (网上评议) and answering a 不满意 rating. Each checks permission, writes in one
transaction and appends its trading-log entry in it."""

import hashlib

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError, NotFound
from accounts.models import Role
from accounts.permissions import check, has_role
from ledger import chain
from ledger.canonical import utc_iso
from ledger.models import Entry
from trading.calendar import Calendar
from trading.models import Tender

from . import limits, steps
from .models import Grade, OverdueItem, Rating, Service, Step

MAX_TEXT = 2000
# The log entry that ends each service a party may rate.
SERVICE_OF = {"tender.published": Service.REVIEW, "tender.returned": Service.REVIEW,
              "opening.closed": Service.OPENING, "award.confirmed": Service.AWARD,
              "tender.objection_answered": Service.ANSWER}


def _text(value, field, message):
    value = value.strip() if isinstance(value, str) else ""
    if not value or len(value) > MAX_TEXT:
        raise DomainError("required", message, field=field)
    return value


# --- the scan ----------------------------------------------------------------------------------------

def _store(key, *, step, region_id, region_code, tender, rating=None, green=False, started_at, due, now):
    """One overdue item and its log entry, in their own transaction; None if another scan stored it."""
    try:
        with transaction.atomic():
            item = OverdueItem.objects.create(key=key, step=step, region_id=region_id, tender=tender, rating=rating,
                                              green=green, started_at=started_at, due=due, found_at=now)
            chain.append("service.overdue_found", role="system", region=region_code,
                         tender_ref=tender.code if tender else "",
                         payload={"item": item.pk, "step": step, "key": key, "started": utc_iso(started_at),
                                  "due": utc_iso(due), "green": green})
    except IntegrityError:  # the unique key: a concurrent scan got there first
        return None
    return item


def scan_overdue(now=None):
    """Store an overdue item for every step past its limit (still pending, or done late) and every 不满意
    rating not answered in time, once each. Rerun-safe. Returns {step: [new items]}."""
    now = now or timezone.now()
    known = set(OverdueItem.objects.values_list("key", flat=True))
    found = {step: [] for step in Step.values}
    for inst in steps.instances(calendar=Calendar()):
        if inst.key in known or inst.region_id is None or inst.state(now) not in (steps.OVERDUE, steps.LATE):
            continue
        item = _store(inst.key, step=inst.step, region_id=inst.region_id, region_code=inst.start.region_code,
                      tender=inst.tender, green=inst.green, started_at=inst.start.created_at, due=inst.due, now=now)
        if item:
            found[inst.step].append(item)
    late = (Rating.objects.filter(grade=Grade.DISSATISFIED)
            .filter(Q(answered_at__isnull=True, answer_due__lt=now) | Q(answered_at__gt=F("answer_due")))
            .select_related("region", "tender"))
    for rating in late:
        key = f"{Step.DISSATISFIED_ANSWER}:{rating.pk}"
        if key in known:
            continue
        item = _store(key, step=Step.DISSATISFIED_ANSWER, region_id=rating.region_id, region_code=rating.region.code,
                      tender=rating.tender, rating=rating, started_at=rating.created_at, due=rating.answer_due, now=now)
        if item:
            found[Step.DISSATISFIED_ANSWER].append(item)
    return found


# --- closing an overdue item -------------------------------------------------------------------------

def access_item(user, item_id, *, for_update=False, permission=None):
    qs = OverdueItem.objects.select_related("region", "tender", "rating")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        item = qs.get(pk=item_id)
    except (OverdueItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such overdue item.")) from None
    if permission:
        check(user, permission, item)
    return item


def still_pending(item):
    """True while the late step itself is not done (it must be done before the item is closed)."""
    if item.rating_id:
        return item.rating.answered_at is None
    inst = steps.find(item.key)
    return inst is not None and not inst.done


def close_overdue(*, actor, item_id, cause):
    """Staff of the item's center close it, stating why the step was late; the cause stays on record."""
    cause = _text(cause, "cause", _("State the cause of the delay (up to 2000 characters)."))
    with transaction.atomic():
        item = access_item(actor, item_id, for_update=True, permission="service.close_overdue")
        if item.closed_at is not None:
            raise DomainError("already_closed", _("This overdue item is already closed."), http_status=409)
        if still_pending(item):
            raise DomainError("step_pending", _("The step is still not done: do it first, then close the item "
                                                "with its cause."), http_status=409)
        item.closed_at, item.cause, item.closed_by = timezone.now(), cause, actor
        item.save(update_fields=["closed_at", "cause", "closed_by"])
        chain.append("service.overdue_closed", actor=actor, role="staff", region=item.region,
                     tender_ref=item.tender.code if item.tender else "",
                     payload={"item": item.pk, "step": item.step, "key": item.key, "due": utc_iso(item.due),
                              "cause": cause})
    return item


# --- ratings ------------------------------------------------------------------------------------------

def rate_service(*, actor, entry_seq, grade, comment=""):
    """The party that received a service rates it, once per organization; the rating is never edited.
    A 不满意 gets an answer due within SERVICE_LIMITS["dissatisfied_answer"] working days."""
    if grade not in Grade.values:
        raise DomainError("invalid_grade", _("Choose satisfied, basically satisfied or dissatisfied."), field="grade")
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > MAX_TEXT:
        raise DomainError("too_long", _("At most %(n)s characters.") % {"n": MAX_TEXT}, field="comment")
    with transaction.atomic():
        entry = Entry.objects.filter(seq=entry_seq if isinstance(entry_seq, int) else -1,
                                     action__in=SERVICE_OF).first()
        tender = Tender.objects.select_related("project", "region").filter(code=entry.tender_ref).first() if entry else None
        if tender is None:
            raise NotFound(_("No such service."))
        service = SERVICE_OF[entry.action]
        check(actor, "service.rate", (service, tender, entry))
        if Rating.objects.filter(entry_seq=entry.seq, organization_id=actor.organization_id).exists():
            raise DomainError("already_rated", _("Your organization has already rated this service."), http_status=409)
        now = timezone.now()
        due = limits.due(now, limits.limit("dissatisfied_answer")) if grade == Grade.DISSATISFIED else None
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    service=service, entry_seq=entry.seq, tender=tender, region=tender.region,
                    organization_id=actor.organization_id, rated_by=actor, grade=grade, comment=comment,
                    created_at=now, answer_due=due)
        except IntegrityError:
            raise DomainError("already_rated", _("Your organization has already rated this service."),
                              http_status=409) from None
        role = Role.BIDDER if actor.organization_id != tender.project.owner_id else (
            Role.TENDERER if has_role(actor, Role.TENDERER) else Role.AGENCY)
        # The entry names no rater (like a sealed bid's commitment, trading/sealed_log.py): staff read the
        # trading log of their region, and a party must not fear its name next to a complaint about the
        # center it depends on. The rating row keeps who rated.
        chain.append("service.rated", role=role, region=tender.region, tender_ref=tender.code,
                     payload={"rating": rating.pk, "service": service, "entry": entry.seq, "grade": grade,
                              "comment_sha256": hashlib.sha256(comment.encode()).hexdigest(),
                              "answer_due": utc_iso(due) if due else None})
    return rating


def answer_rating(*, actor, rating_id, answer):
    """Staff of the rated center answer a 不满意 rating, once; the rating itself is not touched."""
    answer = _text(answer, "answer", _("Write the answer (up to 2000 characters)."))
    with transaction.atomic():
        try:
            rating = (Rating.objects.select_for_update(of=("self",)).select_related("region", "tender")
                      .get(pk=rating_id))
        except (Rating.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such rating.")) from None
        check(actor, "service.answer_rating", rating)
        if rating.grade != Grade.DISSATISFIED:
            raise DomainError("not_dissatisfied", _("Only a dissatisfied rating is answered."), http_status=409)
        if rating.answered_at is not None:
            raise DomainError("already_answered", _("This rating is already answered."), http_status=409)
        rating.answer, rating.answered_at, rating.answered_by = answer, timezone.now(), actor
        rating.save(update_fields=["answer", "answered_at", "answered_by"])
        chain.append("service.rating_answered", actor=actor, role="staff", region=rating.region,
                     tender_ref=rating.tender.code,
                     payload={"rating": rating.pk, "answer": answer, "late": rating.answered_at > rating.answer_due})
    return rating
