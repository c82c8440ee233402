"""Tender actions: every state change of projects and tenders, each with its ledger entry (docs/architecture.md §2, §4)."""

import base64

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.background import enqueue
from accounts.errors import DomainError, NotFound
from accounts.models import Region
from accounts.permissions import can, check
from ledger import chain
from ledger.canonical import utc_iso
from realtime import groups
from realtime.events import send_event_on_commit

from .. import evaluation_terms, rules
from ..announce import announce
from ..files import check_document
from ..models import (
    Amendment,
    Category,
    Objection,
    OpeningKey,
    Project,
    Tender,
    TenderCustodian,
    TenderDocument,
)

TEXT_LIMITS = {"title": 200, "venue": 200, "description": 20000, "name": 200}


def _text(value, field, required=True):
    value = (value or "").strip() if isinstance(value, str) else value
    if not isinstance(value, str) or (required and not value):
        raise DomainError("required", _("This field is required."), field=field)
    if len(value) > TEXT_LIMITS[field]:
        raise DomainError("too_long", _("At most %(n)s characters.") % {"n": TEXT_LIMITS[field]}, field=field)
    return value


def _amount(value, field):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 10**15:
        raise DomainError("invalid_amount", _("Amounts are whole numbers of fen between 0 and 10^15."), field=field)
    return value


def _aware(value, field):
    if not hasattr(value, "tzinfo") or value.tzinfo is None:
        raise DomainError("invalid_datetime", _("A date and time with a time zone is required."), field=field)
    return value


def access_tender(user, tender_id, *, for_update=False, permission=None):
    qs = Tender.objects.select_related("project", "region__parent")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        tender = qs.get(pk=tender_id)
    except (Tender.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such tender.")) from None
    if permission:
        check(user, permission, tender)
    return tender


def _log(action, actor, tender, payload, role=""):
    chain.append(
        action,
        actor=actor,
        role=role,
        region=tender.region,
        tender_ref=tender.code,
        payload={"tender": tender.pk, **payload},
    )
    send_event_on_commit(groups.tender(tender.pk), "tender.changed", {"tender": tender.pk, "action": action})


def create_project(*, actor, name, region_code, category):
    name = _text(name, "name")
    if category not in Category.values:
        raise DomainError("invalid_category", _("Unknown category."), field="category")
    try:
        region = Region.objects.select_related("parent").get(code=region_code)
    except Region.DoesNotExist:
        raise DomainError("unknown_region", _("Unknown region."), field="region") from None
    check(actor, "project.create", region, _("You may only create projects in your own region."))
    if actor.organization_id is None:
        raise DomainError("no_organization", _("Your account belongs to no organization."))
    with transaction.atomic():
        year = timezone.localdate().year
        prefix = f"BZ{region.code}-{year}-"
        n = Project.objects.filter(code__startswith=prefix).count() + 1
        project = Project.objects.create(
            code=f"{prefix}{n:04d}",
            name=name,
            region=region,
            category=category,
            owner_id=actor.organization_id,
            created_by=actor,
        )
        chain.append(
            "project.created",
            actor=actor,
            region=region,
            payload={"project": project.pk, "code": project.code, "name": name, "category": category},
        )
    return project


def _clean_terms(terms, category):
    clean = {
        "title": _text(terms.get("title"), "title"),
        "description": _text(terms.get("description", ""), "description", required=False),
        "venue": _text(terms.get("venue"), "venue"),
        "estimated_price_fen": _amount(terms.get("estimated_price_fen"), "estimated_price_fen"),
        "bid_security_fen": _amount(terms.get("bid_security_fen", 0), "bid_security_fen"),
        "documents_from": _aware(terms.get("documents_from"), "documents_from"),
        "documents_until": _aware(terms.get("documents_until"), "documents_until"),
        "bid_deadline": _aware(terms.get("bid_deadline"), "bid_deadline"),
        "evaluation_method": terms.get("evaluation_method"),
        "max_bid_bytes": terms.get("max_bid_bytes", 2 * 1024**3),
    }
    if not isinstance(clean["max_bid_bytes"], int) or not 1024 <= clean["max_bid_bytes"] <= 20 * 1024**3:
        raise DomainError(
            "invalid_size_limit", _("The bid size limit must be between 1 KB and 20 GB."), field="max_bid_bytes"
        )
    clean["criteria"] = rules.check_criteria(clean["evaluation_method"], terms.get("criteria") or [])
    # 实施条例 art. 49: the committee applies only the standards the tender documents state.
    clean["evaluation_terms"] = evaluation_terms.check_terms(
        terms.get("evaluation_terms"), clean["evaluation_method"], clean["criteria"])
    clean["bid_letter_fields"] = rules.check_bid_letter_fields(
        terms.get("bid_letter_fields") or rules.STANDARD_BID_LETTER_FIELDS
    )
    rules.check_bid_security(clean["estimated_price_fen"], clean["bid_security_fen"], category=category)
    rules.check_opening_time(clean["bid_deadline"], terms.get("opening_at"), category=category)
    rules.check_schedule(clean["documents_from"], clean["documents_until"], clean["bid_deadline"], category=category)
    return clean


def create_tender(*, actor, project_id, **terms):
    """A draft tender (标段/包) of a project; terms are checked against the law now and again at publication."""
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update(of=("self",)).select_related("region__parent").get(pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such project.")) from None
        if actor.organization_id != project.owner_id:
            raise DomainError(
                "permission_denied", _("Only the project's own tenderer or agency may add tenders."), http_status=403
            )
        check(actor, "project.create", project.region)
        clean = _clean_terms(terms, project.category)
        n = project.tenders.count() + 1
        tender = Tender.objects.create(
            project=project,
            code=f"{project.code}-{n:02d}",
            region=project.region,
            category=project.category,
            created_by=actor,
            **clean,
        )
        _log("tender.created", actor, tender, {"code": tender.code, "title": tender.title})
    return tender


def update_tender(*, actor, tender_id, **terms):
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True)
        _check_editable(actor, tender)
        current = {
            f: getattr(tender, f)
            for f in [
                "title",
                "description",
                "venue",
                "estimated_price_fen",
                "bid_security_fen",
                "documents_from",
                "documents_until",
                "bid_deadline",
                "evaluation_method",
                "max_bid_bytes",
                "criteria",
                "evaluation_terms",
                "bid_letter_fields",
            ]
        }
        clean = _clean_terms({**current, **terms}, tender.category)
        changed = sorted(k for k, v in clean.items() if current[k] != v)
        for key, value in clean.items():
            setattr(tender, key, value)
        tender.save(update_fields=list(clean))
        _log("tender.updated", actor, tender, {"changed": changed})
    return tender


def add_document(*, actor, tender_id, uploaded):
    name, media_type, size, sha256 = check_document(uploaded)
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True, permission="tender.edit")
        doc = TenderDocument(tender=tender, name=name, size=size, sha256=sha256, media_type=media_type)
        doc.file.save(name, uploaded, save=False)
        try:
            doc.save()
            _log(
                "tender.document_added",
                actor,
                tender,
                {"document": doc.pk, "name": name, "sha256": sha256, "size": size},
            )
        except Exception:
            doc.file.delete(save=False)  # nothing half-written: no file without its row
            raise
    return doc


def submit_tender(*, actor, tender_id):
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True, permission="tender.edit")
        if not tender.documents.exists():
            raise DomainError("no_documents", _("Upload the tender documents before submitting for review."))
        _recheck(tender)
        tender.status = Tender.Status.SUBMITTED
        tender.submitted_at = timezone.now()
        tender.save(update_fields=["status", "submitted_at"])
        _log("tender.submitted", actor, tender, {})
    return tender


def _recheck(tender):
    rules.check_bid_security(tender.estimated_price_fen, tender.bid_security_fen, category=tender.category)
    # Documents cannot have been on sale before publication: count the periods from now at the earliest.
    start = max(tender.documents_from, timezone.now())
    rules.check_schedule(start, tender.documents_until, tender.bid_deadline, category=tender.category)


def _check_editable(actor, tender):
    """Terms are edited only in a draft or a returned tender. A published tender's owner is told what to
    do instead: its terms change only by a clarification or amendment, which bidders are notified of."""
    if not can(actor, "tender.edit", tender) and can(actor, "tender.amend", tender):
        raise DomainError(
            "tender_published_use_amendment",
            _("This tender is published: its terms can no longer be edited. Issue a clarification or amendment "
              "instead; one that may affect bids moves the deadline if fewer than 15 days remain (%(article)s).")
            % {"article": rules.amendment_article(tender.category)},
            http_status=403,
        )
    check(actor, "tender.edit", tender)


def approve_tender(*, actor, tender_id):
    """Trading center staff publish the announcement."""
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True, permission="tender.review")
        if tender.status != Tender.Status.SUBMITTED:
            raise DomainError("not_submitted", _("Only a tender awaiting review can be approved."))
        _recheck(tender)
        opening_key = _run_ceremony(tender)
        now = timezone.now()
        if tender.documents_from < now:
            tender.documents_from = now
        tender.status = Tender.Status.PUBLISHED
        tender.published_at = now
        tender.save(update_fields=["status", "published_at", "documents_from"])
        _log(
            "tender.published",
            actor,
            tender,
            {
                "documents_from": utc_iso(tender.documents_from),
                "documents_until": utc_iso(tender.documents_until),
                "bid_deadline": utc_iso(tender.bid_deadline),
                "documents": list(tender.documents.values_list("sha256", flat=True)),
                # What binds the committee (实施条例 art. 49), defaults filled in, on the record from now on.
                "evaluation_terms": evaluation_terms.with_defaults(tender.evaluation_terms, tender.evaluation_method),
            "opening_key": opening_key.fingerprint, "threshold": opening_key.threshold,
            "custodians": [c.key.fingerprint for c in tender.custodians.select_related("key")],
            },
            role="staff",
        )
        announce(tender, "tender", actor=actor)
        _schedule_clock(tender)
    return tender


def return_tender(*, actor, tender_id, reason):
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise DomainError(
            "reason_required", _("Give the reason for returning the tender (up to 2000 characters)."), field="reason"
        )
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True, permission="tender.review")
        if tender.status != Tender.Status.SUBMITTED:
            raise DomainError("not_submitted", _("Only a tender awaiting review can be returned."))
        tender.status = Tender.Status.RETURNED
        tender.review_note = reason
        tender.save(update_fields=["status", "review_note"])
        _log("tender.returned", actor, tender, {"reason": reason}, role="staff")
    return tender


def issue_amendment(*, actor, tender_id, kind, text, affects_bids=True, files=(), resuming=False):
    """A clarification or amendment (招标投标法 art. 23). One that may affect bids, issued with fewer than
    15 days left, moves the deadline (实施条例 art. 21)."""
    if kind not in Amendment.Kind.values:
        raise DomainError("invalid_kind", _("Unknown kind."), field="kind")
    text = (text or "").strip()
    if not text or len(text) > 20000:
        raise DomainError("required", _("Write the clarification or amendment (up to 20000 characters)."), field="text")
    checked = [(f, check_document(f)) for f in files]
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True, permission="tender.amend")
        now = timezone.now()
        if now >= tender.bid_deadline and not resuming:
            raise DomainError("deadline_passed", _("The bid deadline has passed."))
        old = tender.bid_deadline
        new = rules.amended_deadline(now, old, category=tender.category) if affects_bids else old
        if resuming:  # an objection's answer: may also have to set a new deadline (rules.resumed_deadline)
            new = rules.resumed_deadline(now, old, affects_bids=affects_bids, category=tender.category)
        amendment = Amendment.objects.create(
            tender=tender,
            kind=kind,
            text=text,
            affects_bids=affects_bids,
            issued_at=now,
            issued_by=actor,
            old_deadline=old,
            new_deadline=new if new != old else None,
        )
        for uploaded, (name, media_type, size, sha256) in checked:
            doc = TenderDocument(
                tender=tender, amendment=amendment, name=name, size=size, sha256=sha256, media_type=media_type
            )
            doc.file.save(name, uploaded, save=False)
            doc.save()
        payload = {"amendment": amendment.pk, "kind": kind, "affects_bids": affects_bids}
        if new != old:
            if tender.original_deadline is None:
                tender.original_deadline = old
            tender.bid_deadline = new
            tender.save(update_fields=["bid_deadline", "original_deadline"])
            payload.update({"old_deadline": utc_iso(old), "new_deadline": utc_iso(new)})
            _schedule_clock(tender)
        _log("tender.amended", actor, tender, payload)
        announce(tender, "amendment", actor=actor, source=amendment)
    return amendment


def raise_objection(*, actor, tender_id, text):
    """An objection (异议; procurement: 质疑) to the tender documents. Until it is answered the tender is
    suspended: no bid is finalized and the deadline does not pass into the opening (docs/objections.md)."""
    from ..calendar import Calendar

    text = (text or "").strip()
    if not text or len(text) > 5000:
        raise DomainError("required", _("Write the objection (up to 5000 characters)."), field="text")
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True, permission="tender.object")
        if tender.status != Tender.Status.PUBLISHED:
            raise DomainError("not_published", _("Objections can only be raised against a published tender."))
        now = timezone.now()
        calendar = Calendar()
        rules.check_objection_in_time(
            now,
            tender.bid_deadline,
            category=tender.category,
            known_from=rules.objection_known_from(tender.documents_from, tender.published_at),
            calendar=calendar,
        )
        objection = Objection.objects.create(
            tender=tender,
            organization_id=actor.organization_id,
            raised_by=actor,
            text=text,
            raised_at=now,
            answer_due=rules.objection_answer_due(now, calendar, category=tender.category),
        )
        _log(
            "tender.objection_raised",
            actor,
            tender,
            {"objection": objection.pk, "answer_due": utc_iso(objection.answer_due), "suspended": True},
            role="bidder",
        )
    return objection


def answer_objection(*, actor, objection_id, answer, amends_documents=False):
    """The tenderer's answer. Past answer_due it is accepted but flagged (answered_late, logged; the
    regulators see an alert). When the answer changes the documents in a way that may affect bids, or the
    deadline passed while the tender was suspended, it is issued as an amendment that moves the deadline
    (rules.resumed_deadline; 实施条例 art. 21, 政府采购法实施条例 art. 31)."""
    answer = (answer or "").strip()
    if not answer or len(answer) > 5000:
        raise DomainError("required", _("Write the answer (up to 5000 characters)."), field="answer")
    with transaction.atomic():
        try:
            objection = Objection.objects.select_for_update().get(pk=objection_id)
        except (Objection.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        tender = access_tender(actor, objection.tender_id, for_update=True, permission="tender.answer_objection")
        if objection.answered_at is not None:
            raise DomainError("already_answered", _("This objection has already been answered."))
        now = timezone.now()
        amendment = None
        if tender.status == Tender.Status.PUBLISHED and (amends_documents or now >= tender.bid_deadline):
            amendment = issue_amendment(
                actor=actor,
                tender_id=tender.pk,
                kind=Amendment.Kind.AMENDMENT,
                text=answer,
                affects_bids=bool(amends_documents),
                resuming=True,
            )
        objection.answer, objection.answered_at = answer, now
        objection.answered_late = now > objection.answer_due
        objection.amendment = amendment
        objection.save(update_fields=["answer", "answered_at", "answered_late", "amendment"])
        payload = {"objection": objection.pk, "late": objection.answered_late}
        if objection.answered_late:
            payload["answer_due"] = utc_iso(objection.answer_due)
        if amendment is not None:
            payload["amendment"] = amendment.pk
        _log("tender.objection_answered", actor, tender, payload)
        from django.urls import reverse

        from accounts.models import Notice
        from accounts.notices import notify

        notify(objection.raised_by, Notice.Kind.OBJECTION,
               _("Your objection to %(tender)s has been answered."), reverse("trading:detail", args=[tender.pk]),
               params={"tender": tender.code})
    return objection


# --- the clock -----------------------------------------------------------------------------------
CLOCK_STAGES = [
    ("documents_open", "documents_from"),
    ("documents_closed", "documents_until"),
    ("bids_closed", "bid_deadline"),
]


def _schedule_clock(tender):
    moments = [getattr(tender, field) for _stage, field in CLOCK_STAGES]
    tender_id = tender.pk
    transaction.on_commit(lambda: [enqueue("trading.record_clock_stages", tender_id, run_after=m) for m in moments])


def record_clock_stages(tender_id, now=None):
    """Write to the ledger each clock-driven stage the tender has reached and not yet recorded.
    Idempotent: run it any number of times, early or late."""
    now = now or timezone.now()
    recorded = []
    with transaction.atomic():
        tender = Tender.objects.select_for_update().select_related("region").get(pk=tender_id)
        if tender.status not in (Tender.Status.PUBLISHED, Tender.Status.CLOSED):
            return recorded
        done = [s for s, _f in CLOCK_STAGES].index(tender.clock_stage) + 1 if tender.clock_stage else 0
        for stage, field in CLOCK_STAGES[done:]:
            at = getattr(tender, field)
            if at > now:
                break
            if stage == "bids_closed" and tender.objections.filter(answered_at__isnull=True).exists():
                break  # suspended (实施条例 art. 22): the answer sets the new deadline (rules.resumed_deadline)
            tender.clock_stage = stage
            if stage == "bids_closed":
                tender.status = Tender.Status.CLOSED
            chain.append(
                f"tender.{stage}",
                role="system",
                region=tender.region,
                tender_ref=tender.code,
                payload={"tender": tender.pk, "at": utc_iso(at)},
            )
            recorded.append(stage)
        if recorded:
            tender.save(update_fields=["clock_stage", "status"])
            send_event_on_commit(
                groups.tender(tender.pk), "tender.changed", {"tender": tender.pk, "action": f"tender.{recorded[-1]}"}
            )
    if "bids_closed" in recorded:
        from .opening import start_opening

        start_opening(tender_id, now)  # at the deadline: open the hall, or fail with fewer than 3 bids
    return recorded


def set_custodians(*, actor, tender_id, user_ids, threshold=3):
    """Staff choose the tender's key custodians and how many of them it takes to open (k of n)."""
    from accounts.models import PublicKey, Role, RoleAssignment

    user_ids = list(dict.fromkeys(user_ids))
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True, permission="tender.review")
        if tender.status not in (Tender.Status.DRAFT, Tender.Status.SUBMITTED, Tender.Status.RETURNED):
            raise DomainError("already_published", _("The custodians are fixed once the tender is published."))
        if not (isinstance(threshold, int) and 1 < threshold <= len(user_ids) <= 15):
            raise DomainError("invalid_threshold",
                              _("Choose 2 to 15 custodians and a threshold between 2 and their number."),
                              field="threshold")
        holders = set(RoleAssignment.objects.filter(user_id__in=user_ids, role=Role.CUSTODIAN)
                      .values_list("user_id", flat=True))
        keys = {k.user_id: k for k in PublicKey.objects.filter(user_id__in=user_ids, purpose="custodian",
                                                                 revoked_at__isnull=True)}
        missing = [uid for uid in user_ids if uid not in holders or uid not in keys]
        if missing:
            raise DomainError("custodian_without_key",
                              _("Every custodian must hold the custodian role and a registered key."),
                              field="custodians", users=missing)
        tender.custodians.all().delete()
        TenderCustodian.objects.bulk_create(
            [TenderCustodian(tender=tender, user_id=uid, key=keys[uid]) for uid in user_ids])
        tender.custodian_threshold = threshold
        tender.save(update_fields=["custodian_threshold"])
        _log("tender.custodians_set", actor, tender, {
            "threshold": threshold, "custodians": [keys[uid].fingerprint for uid in user_ids]}, role="staff")
    return tender


def _run_ceremony(tender):
    """The opening-key ceremony (docs/architecture.md §5), inside the publication's transaction: the server keeps
    the public key, the private key encrypted under K, and each custodian's encrypted share of K."""
    from sealedbid import ceremony

    custodians = list(tender.custodians.select_related("key").order_by("id"))
    if len(custodians) < tender.custodian_threshold or tender.custodian_threshold < 2:
        raise DomainError("custodians_required",
                          _("Choose the key custodians of this tender (at least %(k)s) before publishing.")
                          % {"k": max(tender.custodian_threshold, 2)})
    result = ceremony.create_opening_key([c.key.spki_pem for c in custodians], tender.custodian_threshold,
                                         tender.code)
    for custodian, share in zip(custodians, result.shares, strict=True):
        custodian.index = share.index
        custodian.encrypted_share = base64.b64encode(share.encrypted_share).decode()
        custodian.share_hash = share.share_hash
    TenderCustodian.objects.bulk_update(custodians, ["index", "encrypted_share", "share_hash"])
    return OpeningKey.objects.create(tender=tender, fingerprint=result.fingerprint,
                                     public_key_pem=result.public_key_pem, threshold=result.threshold,
                                     ceremony=result.to_dict())


def amended_deadline_preview(tender, now=None):
    return rules.amended_deadline(now or timezone.now(), tender.bid_deadline, category=tender.category)
