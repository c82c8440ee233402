"""The evaluation session through its actions: every stage in order, the ledger and the stream."""

import json
from decimal import Decimal

import pytest

from ledger.models import Entry
from tests.evaluation.session_setup import session_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(opened_tender, expert_pool):
    return session_scene(opened_tender, expert_pool)


def _actions(scene):
    return [e.action for e in Entry.objects.filter(tender_ref=scene.tender.code, action__startswith="evaluation.")
            .order_by("seq")]


def test_a_session_runs_from_check_in_to_signing(scene):
    s = scene.to_stage("signing")
    assert s.leader_id == scene.members[0].pk
    assert all(r.qualified for r in s.results.all())
    assert s.ranking["candidates"] and len(s.ranking["candidates"]) <= 3
    # Price scores: the lowest bid gets the price criterion's full points (default rule: lowest benchmark).
    weight = next(c["weight"] for c in s.terms["criteria"] if c["kind"] == "price")
    lowest = min(s.results.all(), key=lambda r: r.price_fen)
    assert lowest.price_score == Decimal(weight)
    assert all(r.price_score < Decimal(weight) for r in s.results.all() if r.pk != lowest.pk)
    logged = _actions(scene)
    for action in ("evaluation.session_opened", "evaluation.expert_checked_in", "evaluation.commitment_signed",
                   "evaluation.leader_elected", "evaluation.qualification_decided", "evaluation.sheet_submitted",
                   "evaluation.ranked"):
        assert action in logged, action
    # No score in the log: sheets are logged as hashes.
    sheet = Entry.objects.filter(action="evaluation.sheet_submitted").first()
    assert set(json.loads(sheet.payload)) == {"session", "member", "sha256"}
    scene.tender.refresh_from_db()
    assert scene.tender.status == "evaluating"
