"""Re-tendering a failed tender (重新招标; 招标投标法 art. 28, 42; 实施条例 art. 44) in one step: a new
draft in the same project, with the failed tender's settings and copies of its documents, linked by
`retender_of` (docs/award.md). The tenderer then edits the draft and submits it for review as usual."""

import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

from .. import (
    policies_award,  # noqa: F401  (registers the award.* permissions)
    rules,
)
from ..calendar import LOCAL
from ..models import Tender, TenderDocument
from .tenders import _log, access_tender, create_tender

SUFFIX = "（重新招标）"
COPIED = ("description", "venue", "estimated_price_fen", "bid_security_fen", "evaluation_method", "criteria",
          "evaluation_terms", "bid_letter_fields", "max_bid_bytes")


def _schedule(old, category, now):
    """The failed tender's documents window and bidding period, moved to start tomorrow at the same time of
    day and stretched, a day at a time, until the law's minimums hold (rules.check_schedule)."""
    local = timezone.localtime(old.documents_from, LOCAL)
    start = timezone.localtime(now, LOCAL) + datetime.timedelta(days=1)
    documents_from = start.replace(hour=local.hour, minute=local.minute, second=0, microsecond=0)
    documents_until = documents_from + (old.documents_until - old.documents_from)
    bid_deadline = documents_from + (old.bid_deadline - old.documents_from)
    for _attempt in range(90):
        try:
            rules.check_schedule(documents_from, documents_until, bid_deadline, category=category, now=now)
            return documents_from, documents_until, bid_deadline
        except DomainError as exc:
            if exc.code == "documents_window_too_short":
                documents_until += datetime.timedelta(days=1)
            elif exc.code in ("bidding_period_too_short", "documents_after_deadline"):
                bid_deadline += datetime.timedelta(days=1)
            else:
                raise
    raise DomainError("no_schedule", _("No lawful schedule was found; set the dates by hand."))


def _title(title):
    return title if title.endswith(SUFFIX) else f"{title[:200 - len(SUFFIX)]}{SUFFIX}"


def retender(*, actor, tender_id):
    """`tender.retendered`: the failed tender's re-tender as a new draft of the same project. Refused
    unless the tender failed (`not_failed`) or when it was already re-tendered (`already_retendered`)."""
    with transaction.atomic():
        old = access_tender(actor, tender_id, for_update=True, permission="award.retender")
        if old.status != Tender.Status.FAILED:
            raise DomainError("not_failed", _("Only a failed tender is re-tendered."), http_status=409)
        if old.retenders.exists():
            raise DomainError("already_retendered", _("This tender has already been re-tendered."),
                              http_status=409)
        now = timezone.now()
        documents_from, documents_until, bid_deadline = _schedule(old, old.category, now)
        terms = {field: getattr(old, field) for field in COPIED}
        new = create_tender(actor=actor, project_id=old.project_id, title=_title(old.title),
                            documents_from=documents_from, documents_until=documents_until,
                            bid_deadline=bid_deadline, **terms)
        new.retender_of = old
        new.save(update_fields=["retender_of"])
        copies = []
        for doc in old.documents.filter(amendment__isnull=True).order_by("uploaded_at", "pk"):
            with doc.file.open("rb") as f:
                body = f.read()
            copy = TenderDocument(tender=new, name=doc.name, size=doc.size, sha256=doc.sha256,
                                  media_type=doc.media_type)
            copy.file.save(doc.name, ContentFile(body), save=False)
            try:
                copy.save()
            except Exception:
                copy.file.delete(save=False)
                raise
            copies.append({"document": copy.pk, "name": doc.name, "sha256": doc.sha256})
        _log("tender.retendered", actor, new, {"retender_of": old.pk, "retender_of_code": old.code,
                                               "reason": old.failure_reason, "documents": copies,
                                               "copied": list(COPIED)}, role="tenderer")
    return new
