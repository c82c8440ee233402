"""Read side of the opening hall: the snapshot a client gets on connect."""

from django.utils import timezone

from realtime.events import stream_head

from .actions.opening import attendee_data, confirmation_data, hall_stream, result_data, unconfirmed_data
from .models import Bid, HallAttendance, OpenedBid, Opening, OpeningConfirmation, Tender, TenderCustodian


def snapshot(tender_id, user):
    tender = Tender.objects.select_related("opening_key", "region").get(pk=tender_id)
    now = timezone.now()
    opening = Opening.objects.filter(tender=tender).first()
    after_deadline = now >= tender.bid_deadline
    custodians = list(TenderCustodian.objects.filter(tender=tender).select_related("user").order_by("index"))
    results = []
    if opening is not None:
        numbered = {b.pk: n for n, b in enumerate(
            tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("submitted_at", "id"), start=1)}
        for result in OpenedBid.objects.filter(bid__tender=tender).select_related("bid__organization"):
            results.append(result_data(result, numbered.get(result.bid_id, 0)))
        results.sort(key=lambda r: r["number"])
    data = {
        "tender": {"id": tender.pk, "code": tender.code, "title": tender.title, "status": tender.status,
                   "deadline": tender.bid_deadline.isoformat(), "failure_reason": tender.failure_reason},
        "server_now": now.isoformat(),
        "opening": None if opening is None else {
            "status": opening.status, "started_at": opening.started_at.isoformat(),
            "record": opening.record_id, "record_url": f"/records/{opening.record_id}/download/"
            if opening.record_id else None,
            "confirm_until": opening.confirm_until.isoformat() if opening.confirm_until else None},
        "unconfirmed": unconfirmed_data(tender) if opening is not None and opening.status in (
            Opening.Status.READING, Opening.Status.CLOSED) else [],
        "progress": _progress(tender) if opening is not None else [],
        # Named from the opening on (招标投标法 art. 22), by 唱标 number: the progress rows' labels.
        "bidder_names": list(tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("submitted_at", "id")
                             .values_list("organization__name", flat=True)) if opening is not None else [],
        "bids": tender.bids.filter(status=Bid.Status.SUBMITTED).count() if after_deadline else None,
        "threshold": tender.opening_key.threshold if hasattr(tender, "opening_key") else None,
        "custodians": [{"name": str(c.user), "index": c.index, "released": c.released_at is not None,
                        "me": c.user_id == user.pk} for c in custodians],
        "attendees": [attendee_data(a, tender, now) for a in
                      HallAttendance.objects.filter(tender=tender).select_related("organization", "user")],
        "results": results,
        "confirmations": [confirmation_data(c) for c in
                          OpeningConfirmation.objects.filter(tender=tender).select_related("organization")],
        "me": {"signed_in": HallAttendance.objects.filter(tender=tender, user=user).exists()},
    }
    mine = next((c for c in custodians if c.user_id == user.pk), None)
    if mine is not None:  # the custodian's own encrypted share, for their browser to decrypt
        data["me"]["encrypted_share"] = mine.encrypted_share
        data["me"]["released"] = mine.released_at is not None
    return stream_head(hall_stream(tender.pk)), data


def _progress(tender):
    """The last decryption progress of each bid (`opening.progress` events of the hall's stream), so a
    client joining mid-decryption shows it too."""
    from realtime.models import StreamEvent

    last = {}
    for data in StreamEvent.objects.filter(stream__name=hall_stream(tender.pk), type="opening.progress").order_by(
            "seq").values_list("data", flat=True):
        last[data["number"]] = data
    return [last[n] for n in sorted(last)]


def presence_board(tender_id, viewer, online_user_ids):
    """Who is in the hall now (realtime/presence.py gives the user ids), as `viewer` may see it.

    招标投标法 art. 22: until the opening starts nobody may learn who or how many have bid, and only
    bidders may attend besides the host, supervisors and custodians, so before it bidders are neither
    named nor counted (a count of bidders online is a lower bound of the bids); a bidder sees only that
    its own organization is there. From the opening on, bidders are named by organization."""
    from accounts.models import Role, User
    from accounts.permissions import has_role

    tender = Tender.objects.select_related("region__parent").get(pk=tender_id)
    revealed = Opening.objects.filter(tender=tender).exists()
    custodians = {c.user_id: c for c in TenderCustodian.objects.filter(tender=tender)}
    bidder_orgs = set(tender.bids.values_list("organization_id", flat=True))
    hosts, supervisors, keepers, orgs = [], [], [], {}
    for user in User.objects.filter(pk__in=online_user_ids, is_active=True).select_related("organization"):
        if has_role(user, Role.STAFF, tender.region):
            hosts.append({"name": str(user)})
        elif has_role(user, Role.REGULATOR, tender.region):
            supervisors.append({"name": str(user)})
        elif user.pk in custodians:
            c = custodians[user.pk]
            keepers.append({"name": str(user), "index": c.index, "released": c.released_at is not None})
        elif user.organization_id in bidder_orgs:
            org = orgs.setdefault(user.organization_id, {"name": user.organization.name, "people": 0,
                                                         "me": user.organization_id == viewer.organization_id})
            org["people"] += 1
    bidders = sorted(orgs.values(), key=lambda o: o["name"])
    if not revealed:
        bidders = [o for o in bidders if o["me"]]
    return {"revealed": revealed, "bidders": bidders, "bidder_count": len(orgs) if revealed else None,
            "custodians": sorted(keepers, key=lambda c: c["index"] or 0),
            "hosts": sorted(hosts, key=lambda h: h["name"]), "supervisors": sorted(supervisors, key=lambda s: s["name"])}
