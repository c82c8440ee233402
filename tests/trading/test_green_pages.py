"""Every green-channel route asked by each kind of user (the rows proposed for tests/test_role_matrix.py):
the answer, and that a refused write leaves the trading log where it was."""

import pytest
from django.urls import reverse

from ledger.models import Entry
from tests.factories import pdf_file

from .green_world import approved, request, submitted_tender

ROLES = ["anon", "bid", "tend", "tend2", "stH", "stE", "stC", "exp", "regH", "regC"]


@pytest.fixture
def world(make_user, platform_pki):
    users = {
        "bid": make_user("bidder", "511900"), "tend": make_user("tenderer", "511921"),
        "tend2": make_user("tenderer", "511921"), "stH": make_user("staff", "511921"),
        "stE": make_user("staff", "511922"), "stC": make_user("staff", "511900"),
        "exp": make_user("expert", "511900"), "regH": make_user("regulator", "511921"),
        "regC": make_user("regulator", "511900"),
    }
    tend = users["tend"]
    ids = {"project": submitted_tender(tend).project_id}
    ids["requested"] = request(tend, submitted_tender(tend).project).pk
    ids["approved"] = approved(tend, users["stH"], users["stH"], users["stC"], submitted_tender(tend).project).pk
    return users, ids


def _ask(client, users, role, method, url, data=None):
    client.logout()
    if role != "anon":
        client.force_login(users[role])
    before = Entry.objects.count()
    response = client.post(url, data or {}) if method == "POST" else client.get(url)
    wrote = Entry.objects.count() != before
    if wrote:
        return "W"
    if response.status_code == 302 and "/login" in response.url:
        return "302L"
    return str(response.status_code)


# route, method, object, body, answers in ROLES order
CASES = [
    ("green_board", "GET", None, None, "302L 403 403 403 200 200 200 403 403 403"),
    ("green_overview", "GET", None, None, "302L 403 403 403 200 200 200 403 200 200"),
    ("green_summary", "GET", None, None, "302L 405 405 405 405 405 405 405 405 405"),
    ("green_summary", "POST", None, {"month": "2026-09"}, "302L 403 403 403 403 403 W 403 403 403"),
    ("green_request", "GET", "project", None, "302L 403 200 403 403 403 403 403 403 403"),
    ("green_request", "POST", "project", "file", "302L 403 W 403 403 403 403 403 403 403"),
    ("green_detail", "GET", "approved", None, "302L 403 200 403 200 403 200 403 200 200"),
    ("green_evidence", "GET", "approved", None, "302L 403 200 403 200 403 200 403 200 200"),
    ("green_decide", "GET", "requested", None, "302L 405 405 405 405 405 405 405 405 405"),
    ("green_decide", "POST", "requested", {"decision": "refuse", "reason": "不符合条件"},
     "302L 403 403 403 W 403 W 403 403 403"),
    ("green_assign", "POST", "approved", "officers", "302L 403 403 403 W 403 W 403 403 403"),
    ("green_note", "POST", "approved", {"kind": "note", "text": "记录"}, "302L 403 403 403 W 403 W 403 403 403"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_role_gets_its_answer(world, client, case):
    users, ids = world
    name, method, obj, body, expected = case
    url = reverse(f"trading:{name}", args=[ids[obj]] if obj else [])
    answers = []
    for role in ROLES:
        data = body
        if body == "file":
            data = {"reason": "major_investment", "investment_yuan": "1000000.50", "evidence": pdf_file("批复.pdf")}
        elif body == "officers":
            data = {"officer": users["stH"].pk, "deputy": users["stC"].pk}
        answers.append(_ask(client, users, role, method, url, data))
        if answers[-1] == "W" and name in ("green_request", "green_decide"):
            break  # one write is enough: the object has changed state
    assert answers == expected.split()[:len(answers)]
