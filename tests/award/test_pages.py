"""The award page and its forms, as each role sees them (pages in Simplified Chinese)."""

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from tests.factories import make_user, pdf_file
from trading.models import CandidateObjection, Complaint

from .conftest import bj, evaluate, frozen, snapshot


@pytest.fixture
def ev(opened_tender):
    with frozen(bj(1, 4, 8)):
        return evaluate(opened_tender, at=bj(1, 4, 8))


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if user is not None:
        client.force_login(user)
    return client


def page(ev):
    return f"/tenders/{ev.tender.pk}/award/"


def test_the_tender_s_people_see_the_candidates_and_another_county_sees_nothing(ev, regions):
    with frozen(bj(1, 4, 9)):
        body = client_for(ev.owner).get(page(ev)).content.decode()
        assert "中标候选人" in body and "10,000,000.00" in body and "公示中标候选人" in body
        assert client_for(ev.bidders[1]).get(page(ev)).status_code == 200
        assert client_for(ev.scene.host).get(page(ev)).status_code == 200
        assert client_for(ev.regulator).get(page(ev)).status_code == 200
        assert client_for(make_user("regulator", "511900")).get(page(ev)).status_code == 200
        for user in (make_user("staff", "511922"), make_user("regulator", "511922"), ev.outsider,
                     make_user("tenderer", "511921")):
            response = client_for(user).get(page(ev))
            assert response.status_code == 403 and "10,000,000.00" not in response.content.decode()
        assert client_for(None).get(page(ev)).status_code == 302


def test_the_whole_procedure_through_the_pages(ev, regions):
    with frozen(bj(1, 4, 9)):
        owner = client_for(ev.owner)
        response = owner.post(f"/tenders/{ev.tender.pk}/publicity/", {"starts": "2027-01-04T09:00",
                                                                       "ends": "2027-01-07T12:00"}, follow=True)
        body = response.content.decode()
        assert "第五十四条" in body
        response = owner.post(f"/tenders/{ev.tender.pk}/publicity/", {"starts": "2027-01-04T09:00",
                                                                       "ends": "2027-01-08T00:00"})
        assert response.status_code == 302
    with frozen(bj(1, 5, 9)):
        owner, objector = client_for(ev.owner), client_for(ev.bidders[2])
        response = objector.post(f"/tenders/{ev.tender.pk}/candidate-objections/",
                                 {"grounds": "第一名资质不符", "evidence": pdf_file("证据.pdf")})
        assert response.status_code == 302
        objection = CandidateObjection.objects.get()
        assert objection.evidence_name == "证据.pdf"
        assert "第一名资质不符" not in client_for(ev.bidders[1]).get(page(ev)).content.decode()  # not another's
        owner.post(f"/candidate-objections/{objection.pk}/answer/", {"answer": "资质符合要求"})
    with frozen(bj(1, 6, 9)):
        objector = client_for(ev.bidders[2])
        objector.post(f"/candidate-objections/{objection.pk}/complaint/", {"grounds": "答复不实"})
        complaint = Complaint.objects.get()
        body = client_for(ev.regulator).get(page(ev)).content.decode()
        assert "答复不实" in body and f"/complaints/{complaint.pk}/decide/" in body
        stranger = client_for(make_user("regulator", "511922"))
        before = snapshot(ev.tender)
        assert stranger.post(
            f"/complaints/{complaint.pk}/decide/", {"outcome": "dismissed", "decision": "驳回"}).status_code == 403
        assert snapshot(ev.tender) == before
        client_for(ev.regulator).post(f"/complaints/{complaint.pk}/decide/",
                                      {"outcome": "dismissed", "decision": "投诉不成立"})
    with frozen(bj(1, 8, 9)):
        response = client_for(ev.owner).post(f"/tenders/{ev.tender.pk}/award/confirm/", {"rank": "1"}, follow=True)
        body = response.content.decode()
        assert ev.refresh().status == "awarded"
        assert "中标通知书（PDF）" in body and "签订合同（30日内，招标投标法第四十六条）" in body
    with frozen(bj(1, 11, 9)):
        owner = client_for(ev.owner)
        before = snapshot(ev.tender)
        assert owner.post(f"/tenders/{ev.tender.pk}/award/contract/", {"signed_at": "明天"}).status_code == 302
        assert snapshot(ev.tender) == before  # a date it cannot read: nothing recorded
        owner.post(f"/tenders/{ev.tender.pk}/award/contract/", {"signed_at": "2027-01-11T08:30"})
        owner.post(f"/tenders/{ev.tender.pk}/award/report/", {"reported_at": ""})  # empty: now
        award = ev.refresh().award
        assert award.contract_signed_at == bj(1, 11, 8, 30) and award.reported_at == bj(1, 11, 9)


def test_the_detail_panel_warns_the_tenderer_and_hides_from_others(ev, regions):
    factory = RequestFactory()

    def panel_for(user):
        request = factory.get("/")
        request.user = user
        return render_to_string("trading/award/_panel.html", {"tender": ev.tender, "request": request})

    with frozen(bj(1, 7, 0, 0, 1)):  # the 3 days end at 24:00 of Thu Jan 7
        assert 'id="publish-warning"' in panel_for(ev.owner)
        assert f"/tenders/{ev.tender.pk}/award/" in panel_for(ev.bidders[0])
        assert panel_for(make_user("staff", "511922")).strip() == ""
