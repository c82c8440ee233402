"""Online ratings (网上评议): once per service by the party that received it, never by staff; a 不满意 becomes
an item with its own limit; counts public per center, comments without names."""

import pytest
import time_machine
from django.test import Client

from accounts.errors import DomainError, Forbidden
from ledger.models import Entry
from service.actions import answer_rating, rate_service, scan_overdue
from service.models import OverdueItem, Rating
from tests.factories import make_tender
from tests.trading.bidding import bidder_with_keys, published_tender, submit
from tests.trading.green_world import log_stage
from trading import actions

from .conftest import MONDAY, at


@pytest.fixture
def reviewed(holiday, tongjiang_tenderer, tongjiang_staff):
    with time_machine.travel(MONDAY, tick=False):
        tender = make_tender(tongjiang_tenderer)
        actions.submit_tender(actor=tongjiang_tenderer, tender_id=tender.pk)
        actions.return_tender(actor=tongjiang_staff, tender_id=tender.pk, reason="请补充资格条件")
    return tender, Entry.objects.get(action="tender.returned", tender_ref=tender.code)


def test_the_owner_rates_the_review_once(reviewed, tongjiang_tenderer, make_user):
    tender, entry = reviewed
    colleague = make_user("tenderer", "511921", org=tongjiang_tenderer.organization)
    rating = rate_service(actor=tongjiang_tenderer, entry_seq=entry.seq, grade="satisfied", comment="审核很快")
    assert (rating.service, rating.region.code, rating.answer_due) == ("review", "511921", None)
    head = Entry.objects.count()
    for who in (tongjiang_tenderer, colleague):  # once per organization
        with pytest.raises(DomainError) as again:
            rate_service(actor=who, entry_seq=entry.seq, grade="dissatisfied")
        assert again.value.code == "already_rated"
    assert Entry.objects.count() == head and Rating.objects.count() == 1
    [logged] = Entry.objects.filter(action="service.rated")
    assert (logged.actor_id, logged.role, logged.tender_ref) == (None, "tenderer", tender.code)
    assert tongjiang_tenderer.organization.name not in logged.payload and '"grade":"satisfied"' in logged.payload


def test_staff_other_parties_and_regulators_cannot_rate(reviewed, tongjiang_staff, city_staff, nanjiang_tenderer,
                                                        tongjiang_regulator, make_user):
    _tender, entry = reviewed
    bidder = make_user("bidder", "511921")
    head = Entry.objects.count()
    for who in (tongjiang_staff, city_staff, nanjiang_tenderer, tongjiang_regulator, bidder):
        with pytest.raises(Forbidden):
            rate_service(actor=who, entry_seq=entry.seq, grade="satisfied")
    assert Entry.objects.count() == head and not Rating.objects.exists()


def test_only_a_service_entry_is_rated(reviewed, tongjiang_tenderer):
    tender, _entry = reviewed
    submitted = Entry.objects.get(action="tender.submitted", tender_ref=tender.code)
    with pytest.raises(DomainError) as exc:
        rate_service(actor=tongjiang_tenderer, entry_seq=submitted.seq, grade="satisfied")
    assert exc.value.code == "not_found"


def test_a_dissatisfied_rating_is_an_item_with_its_own_limit(reviewed, tongjiang_tenderer, tongjiang_staff, settings):
    settings.SERVICE_LIMITS = {"dissatisfied_answer": 2}
    _tender, entry = reviewed
    with time_machine.travel(MONDAY, tick=False):  # Monday; Tue holiday; Wed, Thu → 24:00 Thu
        rating = rate_service(actor=tongjiang_tenderer, entry_seq=entry.seq, grade="dissatisfied", comment="退回理由不清")
    assert rating.answer_due == at(2026, 9, 18, 0, 0)
    with time_machine.travel(at(2026, 9, 18, 0, 0), tick=False):
        assert scan_overdue()["dissatisfied_answer"] == []
    with time_machine.travel(at(2026, 9, 18, 0, 0, 1), tick=False):
        [item] = scan_overdue()["dissatisfied_answer"]
    assert (item.rating_id, item.due, item.region.code) == (rating.pk, rating.answer_due, "511921")
    answered = answer_rating(actor=tongjiang_staff, rating_id=rating.pk, answer="已电话说明退回理由")
    assert answered.answer == "已电话说明退回理由" and answered.grade == "dissatisfied"
    assert OverdueItem.objects.count() == 1


def test_a_bidder_rates_the_opening_it_took_part_in(db, platform_pki, make_user):
    tender = published_tender()
    bidder, other = bidder_with_keys(), make_user("bidder")
    submit(Client(), tender, bidder)
    entry = log_stage(tender, "opening.closed")
    with pytest.raises(Forbidden):
        rate_service(actor=other, entry_seq=entry.seq, grade="satisfied")  # no bid there
    with pytest.raises(Forbidden):
        rate_service(actor=tender.project.owner.members.first(), entry_seq=entry.seq, grade="satisfied")
    rating = rate_service(actor=bidder, entry_seq=entry.seq, grade="basic", comment="开标准时")
    assert (rating.service, rating.organization_id) == ("opening", bidder.organization_id)
    client = Client()
    client.force_login(bidder)
    page = client.get("/service/ratings/mine/").content.decode()
    assert f'id="service-{entry.seq}"' in page and "开标准时" in page


def test_the_public_page_counts_per_center_without_names(reviewed, tongjiang_tenderer, client):
    tender, entry = reviewed
    rate_service(actor=tongjiang_tenderer, entry_seq=entry.seq, grade="dissatisfied", comment="退回理由不清")
    page = client.get("/service/ratings/").content.decode()
    row = page.split('data-region="511921"')[1].split("</tr>")[0]
    assert "<td>0</td><td>0</td><td>1</td><td>1</td><td>0.0%</td>" in row
    assert "退回理由不清" in page
    assert "交易中心网上评议" in page and "满意率" in page and "不满意" in page  # Simplified Chinese by default
    for named in (tongjiang_tenderer.organization.name, tongjiang_tenderer.username, tender.code, tender.title):
        assert named not in page


def test_the_rating_form_posts_through_the_action(reviewed, tongjiang_tenderer, client):
    from django.template import Context, Template

    panel = Template("{% load service_workspace %}{% service_panel user %}")
    assert 'href="/service/ratings/mine/"' in panel.render(Context({"user": tongjiang_tenderer}))
    _tender, entry = reviewed
    client.force_login(tongjiang_tenderer)
    assert f'action="/service/ratings/rate/{entry.seq}/"' in client.get("/service/ratings/mine/").content.decode()
    response = client.post(f"/service/ratings/rate/{entry.seq}/", {"grade": "satisfied", "comment": ""})
    assert response.status_code == 302
    assert Rating.objects.get().grade == "satisfied"
    assert 'id="ws-rate"' not in panel.render(Context({"user": tongjiang_tenderer}))  # nothing left to rate


def test_only_the_rated_centers_staff_answer_and_only_once(reviewed, tongjiang_tenderer, tongjiang_staff,
                                                           nanjiang_staff, tongjiang_regulator):
    _tender, entry = reviewed
    rating = rate_service(actor=tongjiang_tenderer, entry_seq=entry.seq, grade="dissatisfied", comment="不满意")
    head = Entry.objects.count()
    for who in (nanjiang_staff, tongjiang_regulator, tongjiang_tenderer):
        with pytest.raises(Forbidden):
            answer_rating(actor=who, rating_id=rating.pk, answer="答复")
    assert Entry.objects.count() == head and Rating.objects.get().answered_at is None
    answer_rating(actor=tongjiang_staff, rating_id=rating.pk, answer="已答复")
    with pytest.raises(DomainError) as again:
        answer_rating(actor=tongjiang_staff, rating_id=rating.pk, answer="再次答复")
    assert again.value.code == "already_answered" and Rating.objects.get().answer == "已答复"


def test_the_company_that_objected_rates_the_answer_and_nobody_else_does(platform_pki, regions, make_user):
    """The answer to an objection on the tender documents is a service the objecting company received
    (issue 19: a clarification answer); another bidder, the tenderer and staff may not rate it."""
    from service.queries import rateable
    from trading.models import Objection

    tender = published_tender()
    objector, other = bidder_with_keys(), bidder_with_keys()
    objection = actions.raise_objection(actor=objector, tender_id=tender.pk, text="资格条件设置排斥潜在投标人")
    assert rateable(objector) == []  # nothing to rate before the answer
    actions.answer_objection(actor=tender.created_by, objection_id=objection.pk, answer="资格条件已依法设置")
    entry = Entry.objects.get(action="tender.objection_answered", tender_ref=tender.code)
    assert [(e.seq, service) for e, service, _t, _r in rateable(objector)] == [(entry.seq, "answer")]
    assert rateable(other) == []
    staff = make_user("staff", tender.region.code)
    head = Entry.objects.count()
    for who in (other, tender.created_by, staff):
        with pytest.raises(Forbidden):
            rate_service(actor=who, entry_seq=entry.seq, grade="satisfied")
    assert Entry.objects.count() == head and not Rating.objects.exists()
    rating = rate_service(actor=objector, entry_seq=entry.seq, grade="dissatisfied", comment="答复未说明依据")
    assert (rating.service, rating.organization_id, rating.answer_due is not None) == (
        "answer", Objection.objects.get().organization_id, True)
