"""The quarterly ranking of the centers on a constructed quarter (tests/service/ranking_quarter.py), against
figures worked out by hand; the last place; centers without activity; the weights from settings."""

import pytest
import time_machine

from service import ranking

from . import ranking_quarter
from .ranking_quarter import NOW


@pytest.fixture
def quarter(make_user, city_staff, tongjiang_staff):
    return ranking_quarter.build(make_user, city_staff, tongjiang_staff)


def _rows(result):
    return {r.region.code: r for r in result.rows}


def test_the_ranking_equals_the_figures_worked_out_by_hand(quarter):
    result = ranking.compute(2026, 3, now=NOW)
    rows = _rows(result)
    city, tj, nj = rows["511900"], rows["511921"], rows["511922"]
    # 巴中市: review and draw on time, the report late; 满意 + 基本满意; 10.0 / 7.0 (7 d 1 h) / 7.0 days.
    assert (city.steps_done, city.steps_on_time, city.on_time_rate) == (3, 2, 66.7)
    assert (city.ratings, city.satisfied, city.satisfaction_rate) == (2, 2, 100.0)
    assert (city.days_publication, city.days_opening, city.days_evaluation, city.average_days) == (10.0, 7.0, 7.0, 8.0)
    assert (city.evaluations, city.remote, city.remote_share) == (1, 0, 0.0)
    # 通江县: one review late, one on time, the early draw on time; 不满意 + 满意; 15 / 3 / 4 days; remote.
    assert (tj.steps_done, tj.steps_on_time, tj.on_time_rate) == (3, 2, 66.7)
    assert (tj.ratings, tj.satisfied, tj.satisfaction_rate) == (2, 1, 50.0)
    assert (tj.days_publication, tj.days_opening, tj.days_evaluation, tj.average_days) == (15.0, 3.0, 4.0, 7.3)
    assert (tj.evaluations, tj.remote, tj.remote_share) == (1, 1, 100.0)
    # 南江县: one review on time in Q3; the late one done in Q4 and its rating do not count.
    assert (nj.steps_done, nj.steps_on_time, nj.ratings, nj.average_days, nj.evaluations) == (1, 1, 0, None, 0)
    # Days scored best / own × 100: 7.3 / 8.0 → 91.2. Weights 40 / 30 / 20 / 10.
    assert city.scores == {"on_time": 66.7, "satisfaction": 100.0, "days": 91.2, "remote": 0.0}
    assert city.score == 74.9  # (40 × 66.7 + 30 × 100 + 20 × 91.2 + 10 × 0) / 100
    assert tj.score == 71.7  # (40 × 66.7 + 30 × 50 + 20 × 100 + 10 × 100) / 100
    assert nj.scores == {"on_time": 100.0} and nj.score == 100.0  # the other weights shared: on time alone
    assert [(r.region.code, r.rank, r.last) for r in result.ranked] == [
        ("511922", 1, False), ("511900", 2, False), ("511921", 3, True)]
    assert not result.provisional


def test_centers_without_activity_are_listed_but_not_ranked(quarter):
    result = ranking.compute(2026, 3, now=NOW)
    inactive = [r.region.code for r in result.inactive]
    assert inactive == ["511902", "511903", "511923", "511971"]
    assert all(r.score is None and not r.last for r in result.inactive)


def test_the_weights_come_from_settings(quarter, settings):
    settings.SERVICE_RANKING_WEIGHTS = {"on_time": 0, "satisfaction": 0, "days": 0, "remote": 100}
    rows = _rows(ranking.compute(2026, 3, now=NOW))
    assert (rows["511921"].score, rows["511900"].score, rows["511900"].last) == (100.0, 0.0, True)
    assert rows["511922"].score == 0.0  # no remote figure and zero weight elsewhere


def test_the_current_quarter_is_provisional_and_listed_first(quarter):
    with time_machine.travel(NOW, tick=False):
        assert ranking.quarters()[:2] == [(2026, 4), (2026, 3)]
        assert ranking.compute(2026, 4).provisional
    q4 = _rows(ranking.compute(2026, 4, now=NOW))
    assert (q4["511922"].steps_done, q4["511922"].steps_on_time, q4["511922"].ratings) == (1, 0, 1)


def test_bounds_are_local_quarters():
    start, end = ranking.bounds(2026, 4)
    assert (start.isoformat(), end.isoformat()) == ("2026-10-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
