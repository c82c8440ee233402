"""Producing signed records: render, sign (each person, then the platform seal), store, and record
the result in the trading log (`record.signed`) in the same transaction as the Record row.

Rendering and signing happen before the transaction: they take up to seconds for a large report,
and holding the ledger's write lock that long would stall every other action.
"""

import asyncio
import hashlib
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.background import enqueue
from accounts.errors import DomainError, NotFound
from accounts.models import Organization, Region
from accounts.permissions import check
from ledger import chain

from . import pki, signing
from .models import Record
from .policies import ProduceRequest
from .render import RENDERERS, DataError, LedgerAnchor, render, to_jsonable


@dataclass(frozen=True)
class _Prepared:
    kind: str
    data: object
    tender_ref: str
    signers: tuple  # users
    identities: tuple  # their SigningIdentity, same order
    seal: pki.SigningIdentity
    anchor: LedgerAnchor
    actor: object
    region: object
    organization: object
    readers: tuple  # organization ids


def access_record(user, record_id) -> Record:
    """The record, if `user` may read it (download, details); NotFound or Forbidden otherwise."""
    record = Record.objects.select_related("region").filter(pk=record_id).first()
    if record is None:
        raise NotFound()
    check(user, "record.view", record)
    return record


def _region(region):
    if region is None or isinstance(region, Region):
        return region
    try:
        return Region.objects.get(code=region)
    except Region.DoesNotExist:
        raise NotFound(_("Unknown region “%(code)s”.") % {"code": region}, code="unknown_region") from None


def _prepare(kind, data, *, tender_ref, signers, actor, region, organization, readers=()) -> _Prepared:
    if kind not in RENDERERS:
        raise DomainError("unknown_record_kind", _("Records of this kind cannot be produced yet."))
    if len(tender_ref) > 40:
        raise DomainError("invalid_tender_ref", _("The tender reference has more than 40 characters."))
    region = _region(region)
    if actor is not None:
        check(actor, "record.produce", ProduceRequest(kind, region))
    if isinstance(organization, int):
        organization = Organization.objects.get(pk=organization)
    signers = tuple(signers)
    identities = tuple(pki.signer_for(user, actor=actor) for user in signers)
    return _Prepared(kind, data, tender_ref, signers, identities, pki.platform_seal(),
                     LedgerAnchor.now(), actor, region, organization,
                     tuple(getattr(r, "pk", r) for r in readers))


def _render(p: _Prepared):
    try:
        rendered = render(p.kind, p.data, anchor=p.anchor)
    except DataError as exc:
        raise DomainError("invalid_record_data", _("The record data is incomplete or inconsistent: %(reason)s")
                          % {"reason": exc}) from None
    return rendered, signing.plan(rendered, list(p.identities), p.seal)


def _store(p: _Prepared, rendered, pdf: bytes) -> Record:
    sha256 = hashlib.sha256(pdf).hexdigest()
    now = timezone.now()
    # Content-addressed name; the storage API picks another if it ever exists.
    name = default_storage.save(f"records/{p.kind}/{now:%Y/%m}/{sha256}.pdf", ContentFile(pdf))
    signer_rows = [{"name": ident.name, "user": user.pk, "certificate": ident.fingerprint}
                   for user, ident in zip(p.signers, p.identities, strict=True)]
    signer_rows.append({"name": p.seal.name, "user": None, "certificate": p.seal.fingerprint, "seal": True})
    try:
        with transaction.atomic():
            record = Record.objects.create(
                kind=p.kind, title=rendered.summary[:200], tender_ref=p.tender_ref, region=p.region,
                organization=p.organization, file=name, sha256=sha256, size=len(pdf), signers=signer_rows,
                anchor_seq=p.anchor.seq, anchor_hash=p.anchor.hash, created_by=p.actor, created_at=now,
            )
            entry = chain.append("record.signed", actor=p.actor, region=p.region, tender_ref=p.tender_ref, payload={
                "record": record.pk, "kind": p.kind, "sha256": sha256, "size": len(pdf), "pages": rendered.pages,
                "anchor": {"seq": p.anchor.seq, "hash": p.anchor.hash},
                "signers": [{"name": s["name"], "certificate": s["certificate"]} for s in signer_rows],
            })
            record.ledger_seq = entry.seq
            record.save(update_fields=["ledger_seq"])
            record.readers.set(p.readers)
    except BaseException:
        # The file is not part of the transaction: remove it by hand when the rows roll back.
        default_storage.delete(name)
        raise
    return record


def produce_record(kind, data, *, tender_ref="", signers=(), actor=None, region=None, organization=None,
                   readers=()) -> Record:
    """Render `data` (the kind's dataclass or dict) as a `kind` record, have it signed by each of
    `signers` (users, in the order of the record's signature slots) and then the platform seal,
    store it and append `record.signed` to the ledger. Returns the Record.

    `actor` None means the platform itself: a step whose caller has already checked access.
    `region` (Region, code or None for platform-wide) scopes who supervises the record;
    `organization` (or its id) is the party it is issued to, whose members may download it;
    `readers` (organizations or ids) are further parties whose members may, such as an opening's bidders.
    Must not run in a thread with an event loop: use aproduce_record there.
    """
    p = _prepare(kind, data, tender_ref=tender_ref, signers=signers, actor=actor, region=region,
                 organization=organization, readers=readers)
    rendered, steps = _render(p)
    return _store(p, rendered, signing.sign_record(rendered.pdf, steps))


async def aproduce_record(kind, data, *, tender_ref="", signers=(), actor=None, region=None,
                          organization=None, readers=()) -> Record:
    """produce_record for async code (consumers): database steps in Django's sync thread (with
    Channels' connection cleanup, so a long-lived consumer leaves no stale connection), rendering in a
    worker thread, signing through pyHanko's async API."""
    p = await database_sync_to_async(_prepare)(kind, data, tender_ref=tender_ref, signers=signers, actor=actor,
                                               region=region, organization=organization, readers=readers)
    rendered, steps = await asyncio.to_thread(_render, p)
    pdf = await signing.async_sign_record(rendered.pdf, steps)
    return await database_sync_to_async(_store)(p, rendered, pdf)


def enqueue_record(kind, data, *, tender_ref="", signers=(), actor=None, region=None, organization=None):
    """produce_record in a background task (django-tasks), for large documents. Checks access
    now, so a refusal reaches the caller; returns the TaskResult (its return value: the record id)."""
    region = _region(region)
    if actor is not None:
        check(actor, "record.produce", ProduceRequest(kind, region))
    return enqueue(
        "records.produce_record",
        kind=kind, data=to_jsonable(data), tender_ref=tender_ref, signer_ids=[u.pk for u in signers],
        actor_id=actor.pk if actor is not None else None, region_code=region.code if region else None,
        organization_id=organization.pk if isinstance(organization, Organization) else organization,
    )
