"""What each person may see of an expert draw (docs/architecture.md §10: sealed identities until check-in).

Staff of the tender's region see counts, seats and statuses, never a name or an expert id until a seat
has checked in or the draw is revealed; regulators of the region read the names (ID number's last four
characters only); a drawn expert sees their own seat; bidders and the public see nothing.
"""

import json
from collections import Counter

from django.db.models import Count

from accounts.errors import NotFound
from accounts.models import Role
from accounts.permissions import can, has_role
from ledger.models import Entry

from .models import Draw, Exclusion, Seat


def may_request_draw(user, tender):
    return can(user, "draw.request", tender)


def may_contribute_secret(user, draw):
    return draw.status == Draw.Status.COMMITTED and can(user, "draw.contribute", draw.tender)


def may_reveal_draw(user, draw):
    from .actions.draw import REVEALABLE

    return (bool(draw.seed) and draw.status != Draw.Status.REVEALED and draw.tender.status in REVEALABLE
            and can(user, "draw.reveal", draw.tender))


def seat_details(seat):
    """What the holder of a seat's one-time code may read of it (the answer page)."""
    requirement = seat.requirement
    return {"seat": seat.pk, "tender_code": seat.draw.tender.code, "tender_title": seat.draw.tender.title,
            "specialty": str(requirement.specialty), "venue": requirement.venue.name if requirement.venue_id else None,
            "main_venue": requirement.is_main_venue, "status": seat.status, "status_display": seat.get_status_display(),
            "respond_by": seat.respond_by}


def _requested_payload(draw):
    text = (Entry.objects.filter(action="draw.requested", tender_ref=draw.tender.code)
            .order_by("-seq").values_list("payload", flat=True))
    for payload in (json.loads(t) for t in text):
        if payload.get("draw") == draw.pk:
            return payload
    return {}


def draw_view(user, draw):
    """A dict for the draw pages. Raises NotFound for anyone who may see nothing of the draw."""
    tender = draw.tender
    own = Seat.objects.filter(draw=draw, expert__user=user).select_related(
        "requirement__specialty__parent", "requirement__venue", "draw__tender").first() \
        if user.is_authenticated else None
    official = can(user, "draw.view", tender)
    if not official:
        if own is None:
            raise NotFound()
        return {"role": "expert", "draw": draw.pk, "status": draw.status, "seat": seat_details(own)}
    regulator = has_role(user, Role.REGULATOR, tender.region)
    revealed = draw.status == Draw.Status.REVEALED
    requirements = list(draw.requirements.select_related("specialty__parent", "venue").order_by("id"))
    index = {r.pk: i for i, r in enumerate(requirements)}
    seats = list(draw.seats.select_related("expert", "replaces").order_by("counter"))
    tally = Counter((s.requirement_id, s.status) for s in seats)
    requested = _requested_payload(draw)
    view = {
        "role": "regulator" if regulator else "staff", "draw": draw.pk, "status": draw.status,
        "status_display": draw.get_status_display(), "tender": tender.pk, "committee_size": draw.committee_size,
        "representatives": draw.tenderer_representatives, "remote": draw.remote,
        "frozen_list_sha256": draw.frozen_list_sha256, "platform_commitment": draw.platform_commitment,
        "regulator_commitment": draw.regulator_commitment, "failure_reason": draw.failure_reason,
        "candidates": requested.get("candidates"),
        "exclusions": [{"reason": row["reason"], "label": Exclusion.Reason(row["reason"]).label, "count": row["n"]}
                       for row in draw.exclusions.values("reason").annotate(n=Count("id")).order_by("reason")],
        "requirements": [{"index": i, "specialty": str(r.specialty), "venue": r.venue.name if r.venue_id else None,
                          "main": r.is_main_venue, "offsite": r.offsite, "count": r.count,
                          "statuses": {status: tally[(r.pk, status)] for status in Seat.Status.values}}
                         for i, r in enumerate(requirements)],
        "seats": [],
        "own_seat": seat_details(own) if own else None,
    }
    for seat in seats:
        row = {"counter": seat.counter, "requirement": index[seat.requirement_id], "status": seat.status,
               "status_display": seat.get_status_display(), "respond_by": seat.respond_by,
               "replaces": seat.replaces.counter if seat.replaces_id else None,
               "checked_in": seat.checked_in_at is not None}
        # Sealed identities: names for the regulator, and for staff only once the expert checked in.
        if regulator or revealed or seat.checked_in_at is not None:
            row.update(name=seat.expert.name, id_last4=seat.expert.id_last4)
        view["seats"].append(row)
    return view
