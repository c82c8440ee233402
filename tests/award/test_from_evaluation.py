"""The evaluation's close records the report's candidates for the publicity (evaluation/actions/report.py
calls trading.award.candidates.record_candidates) and schedules the reminder of the 3 days to publish."""

import datetime
from decimal import Decimal

from django_tasks_db.models import DBTaskResult

from evaluation.actions import review
from evaluation.actions.report import produce_session_report
from tests.evaluation.session_setup import session_scene
from trading import tasks_award  # noqa: F401  (registers trading.award_reminder)
from trading.award import periods
from trading.award.panel import panel
from trading.models import Candidate


def test_the_closed_evaluation_names_the_ranked_candidates(opened_tender, expert_pool,
                                                           django_capture_on_commit_callbacks):
    scene = session_scene(opened_tender, expert_pool)
    session = scene.to_stage("signing")
    with django_capture_on_commit_callbacks(execute=True):
        for m in scene.members:
            review.sign_report(actor=m.user, session_id=session.pk)
    with django_capture_on_commit_callbacks(execute=True):
        produce_session_report(session.pk)
    session.refresh_from_db()
    assert session.stage == "closed"
    ranking = session.ranking
    results = {r.bid_id: r for r in session.results.select_related("bid")}
    candidates = list(Candidate.objects.filter(tender=scene.tender).order_by("rank"))
    assert 1 <= len(candidates) <= 3
    assert [(c.rank, c.bid_id, c.price_fen) for c in candidates] == [
        (rank, results[b].bid.bid_id, results[b].price_fen) for rank, b in enumerate(ranking["candidates"], 1)]
    scores = {o["bid"]: Decimal(str(o["score"])) for o in ranking["order"]}
    assert [c.score for c in candidates] == [scores[b].quantize(Decimal("0.01")) for b in ranking["candidates"]]
    assert all(c.report_received_at == session.closed_at for c in candidates)
    reminder = DBTaskResult.objects.get(task_path="trading.tasks_award.award_reminder_task")
    assert reminder.args_kwargs["args"] == [scene.tender.pk, "publish"]
    assert reminder.run_after == periods.publish_due(session.closed_at) - datetime.timedelta(days=1)
    scene.tender.refresh_from_db()
    owner = scene.tender.created_by
    view = panel(owner, scene.tender)
    assert view["can_publish"] and [c.pk for c in view["candidates"]] == [c.pk for c in candidates]
