"""Never: a green-channel tender's legal periods are exactly those of any other tender (docs/architecture.md §4).
The boundary cases of tests/trading/test_legal_periods.py are asked for an ordinary project and for a
green-channel project at the same frozen moment: every answer must be the same."""

import datetime
import inspect
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.errors import DomainError
from tests.factories import assign_custodians, pdf_file, tender_terms
from trading import actions, rules
from trading.actions import green
from trading.models import GreenChannelRequest

from .green_world import request

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


NOW = at(2026, 9, 1, 9, 0)


@pytest.fixture
def projects(tongjiang_tenderer, make_user):
    """{"ordinary": project, "green": project on an approved green channel} of the same tenderer."""
    with time_machine.travel(NOW, tick=False):
        out = {kind: actions.create_project(actor=tongjiang_tenderer, name=f"{kind}项目", region_code="511921",
                                            category="works") for kind in ("ordinary", "green")}
        staff = [make_user("staff", "511921") for _ in range(3)]
        req = request(tongjiang_tenderer, out["green"])
        green.decide_green_channel(actor=staff[0], request_id=req.pk, approve=True, reason="重大投资",
                                   officer_id=staff[1].pk, deputy_id=staff[2].pk)
    assert GreenChannelRequest.objects.get(project=out["green"]).status == "approved"
    return out


def _outcome(owner, project, **schedule):
    try:
        tender = actions.create_tender(actor=owner, project_id=project.pk, **tender_terms(NOW, **schedule))
    except DomainError as exc:
        return ("refused", exc.code, str(exc.message))
    return ("accepted", tender.documents_from, tender.documents_until, tender.bid_deadline)


# The boundaries of the law around holidays and weekends: each pair is the last moment on one side
# and the first on the other (see test_legal_periods.py for the reasoning of each).
CASES = [
    # 20 days from 11 Sep end on 1 Oct, inside National Day: the period runs past the holiday.
    (at(2026, 9, 11, 10), at(2026, 9, 20), at(2026, 10, 7, 23, 59)),
    (at(2026, 9, 11, 10), at(2026, 9, 20), at(2026, 10, 8, 0, 0)),
    (at(2026, 9, 11, 10), at(2026, 9, 20), at(2026, 10, 8, 0, 0, 1)),
    (at(2026, 9, 11, 10), at(2026, 9, 20), at(2026, 10, 9, 0, 0)),
    # From Tue 8 Sep: day 20 is Mon 28 Sep, a working day.
    (at(2026, 9, 8, 10), at(2026, 9, 15), at(2026, 9, 27, 23, 59, 59)),
    (at(2026, 9, 8, 10), at(2026, 9, 15), at(2026, 9, 28, 0, 0)),
    (at(2026, 9, 8, 10), at(2026, 9, 15), at(2026, 9, 29, 0, 0)),
    # Documents available 5 days, to the end of the last day (实施条例 art. 16).
    (at(2026, 9, 2, 10), at(2026, 9, 7, 23, 59), at(2026, 10, 20, 9, 30)),
    (at(2026, 9, 2, 10), at(2026, 9, 8, 0, 0), at(2026, 10, 20, 9, 30)),
    # A window ending on the Mid-autumn holiday runs to the next working day.
    (at(2026, 9, 21, 8), at(2026, 9, 28, 23, 0), at(2026, 10, 20, 9, 30)),
    (at(2026, 9, 21, 8), at(2026, 9, 29, 0, 0), at(2026, 10, 20, 9, 30)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_every_schedule_boundary_answers_the_same_on_the_green_channel(projects, tongjiang_tenderer, case):
    documents_from, documents_until, deadline = case
    with time_machine.travel(NOW, tick=False):
        answers = {kind: _outcome(tongjiang_tenderer, project, documents_from=documents_from,
                                  documents_until=documents_until, bid_deadline=deadline)
                   for kind, project in projects.items()}
    assert answers["green"] == answers["ordinary"]


def test_the_cases_do_sit_on_boundaries(projects, tongjiang_tenderer):
    """Both sides of the law are exercised: some cases are refused, some accepted."""
    with time_machine.travel(NOW, tick=False):
        kinds = {_outcome(tongjiang_tenderer, projects["green"], documents_from=f, documents_until=u,
                          bid_deadline=d)[0] for f, u, d in CASES}
    assert kinds == {"refused", "accepted"}


def test_a_late_amendment_moves_the_deadline_the_same_way(projects, tongjiang_tenderer, make_user):
    staff = make_user("staff", "511921")
    deadlines = {}
    for kind, project in projects.items():
        with time_machine.travel(NOW, tick=False):
            tender = actions.create_tender(actor=tongjiang_tenderer, project_id=project.pk, **tender_terms(
                NOW, documents_from=at(2026, 9, 2, 10), documents_until=at(2026, 9, 10),
                bid_deadline=at(2026, 10, 1, 9, 30) + datetime.timedelta(days=9)))
            actions.add_document(actor=tongjiang_tenderer, tender_id=tender.pk, uploaded=pdf_file())
            assign_custodians(tender)
            actions.submit_tender(actor=tongjiang_tenderer, tender_id=tender.pk)
            actions.approve_tender(actor=staff, tender_id=tender.pk)
        # 实施条例 art. 21: fewer than 15 days left, so the deadline moves.
        with time_machine.travel(at(2026, 9, 28, 10), tick=False):
            amendment = actions.issue_amendment(actor=tongjiang_tenderer, tender_id=tender.pk,
                                                kind="amendment", text="修改工期要求", affects_bids=True)
        deadlines[kind] = (amendment.old_deadline, amendment.new_deadline)
    assert deadlines["green"] == deadlines["ordinary"]
    assert deadlines["green"][1] is not None and deadlines["green"][1] > deadlines["green"][0]


def test_no_rule_of_the_law_knows_the_green_channel():
    source = inspect.getsource(rules).lower()
    assert "green" not in source and "绿色" not in source
