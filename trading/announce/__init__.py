"""Announcements (公告) as the public knows them: one dated page and one signed PDF each.

`announce(tender, kind, ...)` is called by the action that makes the event public, inside its transaction:
the announcement (its content frozen) and its `announcement.published` log entry commit or roll back
with that action. The PDF is rendered and sealed after the commit (trading.announce.pdf): signing takes
a second and must not hold the ledger's write lock (records/actions.py).
"""

import hashlib

from django.db import transaction
from django.utils import timezone

from ledger import chain
from ledger.canonical import canonical_json, utc_iso

from ..models_announce import Announcement
from .content import build_content

KINDS = tuple(Announcement.Kind.values)


def announce(tender, kind, *, actor=None, source=None, published_at=None):
    """Record that `tender` has a new public announcement of `kind` (one of Announcement.Kind:
    "tender", "amendment", "opening_record", "candidates", "result", "failure", "termination").
    `source` is the object it announces: the Amendment, the Opening (signed record), the Publicity, the
    Award; for "failure" and "termination" an optional reason text. Idempotent: the same source is
    announced once (the existing announcement is returned). `published_at` only for the backfill.

    The caller has checked access: this is a step of its action, not an action of its own."""
    if kind not in KINDS:
        raise ValueError(f"unknown announcement kind {kind!r}")
    with transaction.atomic():
        key, title, body = build_content(tender, kind, source)
        existing = Announcement.objects.filter(tender=tender, kind=kind, source_key=key).first()
        if existing is not None:
            return existing
        digest = hashlib.sha256(canonical_json(body)).hexdigest()
        announcement = Announcement.objects.create(
            tender=tender, kind=kind, source_key=key, region=tender.region, category=tender.category,
            title=title[:300], body=body, body_sha256=digest, published_at=published_at or _moment(tender, kind),
            published_by=actor if actor is not None and actor.is_authenticated else None)
        entry = chain.append("announcement.published", actor=actor, role="" if actor else "system",
                             region=tender.region, tender_ref=tender.code, payload={
                                 "announcement": announcement.pk, "tender": tender.pk, "kind": kind,
                                 "source": key, "title": announcement.title, "body_sha256": digest,
                                 "published_at": utc_iso(announcement.published_at)})
        announcement.ledger_seq = entry.seq
        announcement.save(update_fields=["ledger_seq"])
        # robust: a failed signing is logged and retried later (backfill_announcements); the announcement stands.
        transaction.on_commit(lambda pk=announcement.pk: _produce_pdf(pk), robust=True)
    return announcement


def _moment(tender, kind):
    # The tender announcement is dated as the publication the log records (approve_tender's moment).
    return (tender.published_at if kind == "tender" else None) or timezone.now()


def _produce_pdf(announcement_id):
    from .pdf import produce_announcement_pdf

    produce_announcement_pdf(announcement_id)
