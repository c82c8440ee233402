"""The committee reads the decrypted bids it evaluates (docs/architecture.md §5): an active, checked-in member of the
tender's session, from the qualification review to the ranking, through the same page as staff, each read
logged. Anyone else — a removed member, a member asking for another tender's bid, an expert not checked in,
a bidder, a regulator — is refused (403) and nothing is written."""

import hashlib
import json

from django.utils import timezone

from evaluation.actions import session as session_actions
from evaluation.models import Member
from ledger.models import Entry
from tests.evaluation.session_setup import accept_replacements, session_scene
from tests.factories import make_user
from trading.models import DocumentRead, OpenedFile


def _file(tender):
    return OpenedFile.objects.filter(opened__bid__tender=tender).order_by("pk").first()


def _get(client, user, item):
    client.force_login(user)
    return client.get(f"/tenders/{item.opened.bid.tender_id}/opened/{item.pk}/")


def _state():
    return DocumentRead.objects.count(), Entry.objects.count()


def _reads(client, user, item):
    before = _state()
    response = _get(client, user, item)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == item.sha256
    read = DocumentRead.objects.order_by("pk").last()
    entry = Entry.objects.order_by("seq").last()
    assert (read.user_id, read.file_id) == (user.pk, item.pk)
    assert (entry.action, entry.actor_id, json.loads(entry.payload)["file"]) == (
        "opening.document_read", user.pk, item.pk)
    assert _state() == (before[0] + 1, before[1] + 1)


def _refused(client, user, item):
    before = _state()
    assert _get(client, user, item).status_code == 403
    assert _state() == before


def test_a_member_reads_from_the_qualification_review_to_the_ranking_only(client, opened_tender, expert_pool):
    scene = session_scene(opened_tender, expert_pool)
    item, user = _file(scene.tender), scene.members[0].user
    _refused(client, user, item)  # check-in, not checked in
    scene.check_in_all()
    _refused(client, user, item)  # checked in, but the committee has not started on the bids
    for stage in ("commitments", "leader"):
        scene.to_stage(stage)
        _refused(client, user, item)
    for stage in ("qualification", "scoring", "review", "ranking"):
        scene.to_stage(stage)
        _reads(client, user, item)
    scene.to_stage("signing")
    _refused(client, user, item)
    # Staff of the region read at any time, as before.
    _reads(client, scene.host, item)


def test_a_removed_member_is_refused_while_the_others_read(client, opened_tender, expert_pool,
                                                           django_capture_on_commit_callbacks):
    scene = session_scene(opened_tender, expert_pool)
    item = _file(scene.tender)
    scene.to_stage("commitments")
    conflicted = scene.members[0]
    # A declared conflict removes the member; the draw replaces the seat (docs/evaluation-session.md).
    with django_capture_on_commit_callbacks(execute=True):  # the replacement's text goes out on commit
        session_actions.sign_commitment(actor=conflicted.user, session_id=scene.session.pk,
                                        conflicts=[scene.bids[0].pk])
    for m in scene.members:
        session_actions.sign_commitment(actor=m.user, session_id=scene.session.pk, conflicts=[])
    accept_replacements(scene)
    newcomer = Member.objects.get(session=scene.session, seat__replaces=conflicted.seat_id)
    session_actions.check_in(actor=scene.host, session_id=scene.session.pk, member=newcomer.pk,
                             code=scene.codes[newcomer.pk], id_last4=newcomer.expert.id_last4)
    session_actions.sign_commitment(actor=newcomer.user, session_id=scene.session.pk, conflicts=[])
    scene.to_stage("qualification")
    conflicted.refresh_from_db()
    assert conflicted.removed_at is not None and conflicted.checked_in_at is not None
    _refused(client, conflicted.user, item)
    _reads(client, newcomer.user, item)


def test_only_checked_in_members_of_this_tenders_session_read(client, opened_tender, expert_pool):
    from tests.realtime.opening_setup import opening_scene
    from trading.actions import opening

    scene = session_scene(opened_tender, expert_pool)
    scene.to_stage("qualification")
    member = scene.members[0]
    # Another opened tender of the same county: this committee has no business with its bids.
    other = opening_scene(3)
    with other.after_deadline():
        for custodian in other.custodians[:2]:
            opening.release_share(actor=custodian, tender_id=other.tender.pk, share_b64=other.share(custodian))
        opening.open_bids(other.tender.pk)
    _refused(client, member.user, _file(other.tender))
    item = _file(scene.tender)
    _reads(client, member.user, item)
    # The rule itself asks for the check-in: a member whose check-in is not on record is refused
    # (the actions never let a session past check-in so; this pins the rule, not a path).
    Member.objects.filter(pk=member.pk).update(checked_in_at=None)
    _refused(client, member.user, item)
    Member.objects.filter(pk=member.pk).update(checked_in_at=timezone.now())
    _reads(client, member.user, item)
    # An expert of the pool outside the committee, the tender's bidders, its regulator: never.
    _refused(client, make_user("expert", "511900"), item)
    for bidder in scene.bidders:
        _refused(client, bidder, item)
    _refused(client, scene.regulator, item)
