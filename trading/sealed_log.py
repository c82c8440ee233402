"""Bid events in the trading log: sealed before the deadline, revealed at it.

招标投标法 art. 22: before the deadline nobody may learn who or how many have bid — not rivals,
staff or regulators, who all read the trading log. Yet every bid event must be logged when it
happens. So before a tender's deadline a bid event is appended as `bid.committed`, naming no actor,
tender or region and carrying only SHA-256 of a canonical JSON document that holds the event and a
random nonce; at the deadline a `bid.revealed` entry per commitment publishes the document, so anyone
can recompute the hash against the earlier entry. The format: docs/trading-log-commitments.md.
"""

import hashlib
import json
import secrets

from django.db import connection
from django.utils import timezone

from ledger import chain
from ledger.canonical import canonical_json, utc_iso

from .models import SealedLogEntry, Tender

FORMAT = "bid-commitment/1"
COMMITTED = "bid.committed"
REVEALED = "bid.revealed"


def commitment_of(document: dict) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def lock_tender(tender_id, *, share=False):
    """The tender row, locked: the reveal at the deadline locks it for update, so no commitment can be
    written after the reveal has run (it would never be revealed). `share`: a share lock (PostgreSQL's
    FOR SHARE), which is all a bid event needs: the bid events of different bidders go side by side and
    the reveal still waits for every one of them. Under the load run's 300 bidders, an exclusive lock
    here kept about 22 requests waiting for it at any moment. (SQLite has one writer at a time anyway.)"""
    if share and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {connection.ops.quote_name(Tender._meta.db_table)} "  # noqa: S608
                           "WHERE id = %s FOR SHARE", [tender_id])
        return Tender.objects.select_related("region").get(pk=tender_id)
    return Tender.objects.select_for_update(of=("self",)).select_related("region").get(pk=tender_id)


def lock_organization(organization_id):
    """A bidder organization's row, locked for update: what one bidder does to its uploads and bids (the
    bound on open uploads, replacing its earlier bid) is serialized per bidder, not per tender. Taken
    before the tender's lock, as everywhere (upload, organization, tender, bids)."""
    from accounts.models import Organization

    list(Organization.objects.select_for_update().filter(pk=organization_id).values_list("pk", flat=True))


def log_bid_event(action, *, actor, tender_id, payload, now=None):
    """Append a bid event inside the caller's transaction. Before the deadline only its commitment is
    logged; from the deadline on, the event itself. Returns (entry, commitment or None).
    `now`, if given, is the event's time: read with the tender locked, or (finalize) the time the bid
    arrived, with the bidding checked still open under the lock, so its commitment is revealed later."""
    tender = lock_tender(tender_id, share=True)
    now = now or timezone.now()
    if now >= tender.bid_deadline:
        entry = chain.append(action, actor=actor, role="bidder", region=tender.region, tender_ref=tender.code,
                             payload=payload)
        return entry, None
    document = {
        "format": FORMAT, "action": action, "tender": tender.code, "region": tender.region.code,
        "actor": actor.pk, "actor_name": actor.get_username(), "role": "bidder",
        "organization": actor.organization_id, "at": utc_iso(now), "payload": payload,
        "nonce": secrets.token_hex(32),
    }
    commitment = commitment_of(document)
    entry = chain.append(COMMITTED, role="system", payload={"format": FORMAT, "commitment": commitment})
    SealedLogEntry.objects.create(tender=tender, seq=entry.seq, commitment=commitment,
                                  document=canonical_json(document).decode())
    return entry, commitment


def reveal(tender):
    """At the deadline, with the tender locked (trading.actions.bids.close_bidding): publish every
    commitment of the tender not yet revealed, in the order they were logged. Idempotent."""
    pending = SealedLogEntry.objects.select_for_update().filter(tender=tender, revealed_seq__isnull=True)
    revealed = []
    for item in pending.order_by("seq"):
        entry = chain.append(REVEALED, role="system", region=tender.region, tender_ref=tender.code, payload={
            "commitment_seq": item.seq, "commitment": item.commitment, "document": json.loads(item.document)})
        item.revealed_seq = entry.seq
        item.save(update_fields=["revealed_seq"])
        revealed.append(entry)
    return revealed
