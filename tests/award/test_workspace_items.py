"""The workspace (工作台) after the evaluation (issues 13 and 14): the tenderer sees the candidates to publish,
the objections to answer and the award's deadlines; the regulator of the tender's county sees the complaints to
decide and the alerts not reviewed; another county's regulator and another tenderer see none of it."""

import pytest
from django.test import Client

from tests.factories import make_user

from .conftest import bj, evaluate, frozen


@pytest.fixture
def ev(opened_tender):
    with frozen(bj(1, 4, 8)):
        return evaluate(opened_tender, at=bj(1, 4, 8))


def sections(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    response = client.get("/workspace/")
    assert response.status_code == 200
    return response.context["sections"], response.content.decode()


def test_the_tenderer_and_the_regulator_are_led_to_the_next_step(ev, regions):
    from evaluation.models import Alert
    from trading.actions import award as award_actions
    from trading.actions import disputes

    with frozen(bj(1, 4, 9)):
        owner, body = sections(ev.owner)
        assert [row["tender"] for row in owner["owner"]["to_publish"]] == [ev.tender]
        assert owner["owner"]["to_publish"][0]["due"] > bj(1, 4, 9)
        assert f'href="/tenders/{ev.tender.pk}/award/"' in body
        award_actions.publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    with frozen(bj(1, 5, 9)):
        objection = disputes.raise_objection(actor=ev.bidders[2], tender_id=ev.tender.pk, grounds="第一名业绩不实")
        owner, _ = sections(ev.owner)
        assert owner["owner"]["to_publish"] == []
        assert [o.pk for o in owner["owner"]["candidate_objections"]] == [objection.pk]
        disputes.answer_objection(actor=ev.owner, objection_id=objection.pk, answer="业绩经核实属实")
    with frozen(bj(1, 6, 9)):
        complaint = disputes.file_complaint(actor=ev.bidders[2], objection_id=objection.pk, grounds="答复不实")
        Alert.objects.create(rule="same_file", subject_key="ws:1", tender_ref=ev.tender.code,
                             region_code=ev.tender.region.code, evidence={})
        regulator, body = sections(ev.regulator)
        assert [c.pk for c in regulator["regulator"]["complaints"]] == [complaint.pk]
        assert regulator["regulator"]["alerts_open"] == 1
        other_county, _ = sections(make_user("regulator", "511922"))
        assert other_county["regulator"]["complaints"] == [] and other_county["regulator"]["alerts_open"] == 0
        other_owner, _ = sections(make_user("tenderer", ev.tender.region.code))
        assert other_owner["owner"]["candidate_objections"] == [] and other_owner["owner"]["to_publish"] == []
