"""Keeping the expert pool through its pages: city staff write, county staff and regulators read their
scope, nobody else gets in; ID numbers appear as their last four characters only, in pages and in the log."""

import datetime

import pytest
from django.utils import timezone

from evaluation.actions import pool as actions
from evaluation.demo import id_number
from evaluation.models import Expert
from ledger.models import Entry

ID1, ID2 = id_number(11, "511921"), id_number(12, "511922")
FORM = {"name": "张建国", "id_number": ID1, "phone": "13900000011", "region": "511921",
        "specialties": ["ENG-BLD", "ECO-CST"], "title": "高级工程师", "employer_credit_code": "", "employer_name": ""}


def _snapshot():
    return list(Expert.objects.order_by("pk").values()), Entry.objects.count()


@pytest.fixture
def tongjiang_expert(city_staff, specialties):
    return actions.create_expert(actor=city_staff, data=FORM)


@pytest.fixture
def nanjiang_expert(city_staff, specialties):
    return actions.create_expert(actor=city_staff, data={**FORM, "name": "李志强", "id_number": ID2,
                                                         "phone": "13900000012", "region": "511922"})


@pytest.mark.parametrize(("raw", "code"), [
    ("11010519491231002X", None),  # the standard's example
    ("11010519491231002x", None),
    ("110105194912310021", "id_number_check_digit"),
    ("11010519491331002X", "id_number_birth_date"),
    ("1101051949123100", "invalid_id_number"),
    ("1101051949123100AX", "invalid_id_number"),
])
def test_id_numbers_are_checked_as_gb_11643_says(raw, code):
    if code is None:
        assert actions.check_id_number(raw) == "11010519491231002X"
    else:
        with pytest.raises(actions.DomainError) as info:
            actions.check_id_number(raw)
        assert info.value.code == code


def test_city_staff_add_an_expert_and_the_log_carries_the_last_four_only(client, city_staff, specialties):
    client.force_login(city_staff)
    response = client.post("/evaluation/experts/new/", FORM)
    expert = Expert.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/evaluation/experts/{expert.pk}/"
    assert (expert.name, expert.id_number, expert.region.code, expert.status) == ("张建国", ID1, "511921", "active")
    assert sorted(expert.specialties.values_list("code", flat=True)) == ["ECO-CST", "ENG-BLD"]
    entry = Entry.objects.latest("seq")
    assert entry.action == "expert.created"
    assert ID1 not in entry.payload and f'"id_last4":"{ID1[-4:]}"' in entry.payload


def test_a_bad_id_number_or_phone_is_refused_in_chinese_and_nothing_is_written(client, city_staff, specialties):
    client.force_login(city_staff)
    before = _snapshot()
    page = client.post("/evaluation/experts/new/", {**FORM, "id_number": ID1[:17] + "Y"}).content.decode()
    assert "身份证号码为18位：17位数字加1位数字或X。" in page
    page = client.post("/evaluation/experts/new/", {**FORM, "phone": "23900000011"}).content.decode()
    assert "手机号码为11位数字，以13至19开头。" in page
    assert _snapshot() == before


def test_an_id_number_already_in_the_pool_is_refused(client, city_staff, tongjiang_expert):
    client.force_login(city_staff)
    before = _snapshot()
    page = client.post("/evaluation/experts/new/", {**FORM, "name": "重复"}).content.decode()
    assert "专家库中已有该身份证号码的专家。" in page
    assert _snapshot() == before


def test_the_list_shows_the_last_four_characters_of_id_numbers_only(client, city_staff, tongjiang_expert):
    client.force_login(city_staff)
    page = client.get("/evaluation/experts/").content.decode()
    assert f"****{ID1[-4:]}" in page and ID1 not in page and ID1[:14] not in page
    page = client.get(f"/evaluation/experts/{tongjiang_expert.pk}/").content.decode()
    assert f"****{ID1[-4:]}" in page and ID1 not in page
    page = client.get(f"/evaluation/experts/{tongjiang_expert.pk}/edit/").content.decode()
    assert ID1 not in page and ID1[:14] not in page


def test_the_list_filters_by_specialty_region_status_and_name(client, city_staff, tongjiang_expert, nanjiang_expert):
    client.force_login(city_staff)
    actions.update_expert(actor=city_staff, expert_id=nanjiang_expert.pk,
                          data={**FORM, "id_number": "", "name": "李志强", "region": "511922", "specialties": ["SRV-LAW"],
                                "phone": "13900000012"})

    def names(query):
        page = client.get("/evaluation/experts/" + query)
        return [e.name for e in page.context["page"]]

    assert names("") == ["张建国", "李志强"]
    assert names("?specialty=SRV-LAW") == ["李志强"]
    assert names("?region=511921") == ["张建国"]
    assert names("?q=志强") == ["李志强"]
    actions.retire_expert(actor=city_staff, expert_id=tongjiang_expert.pk)
    assert names("?status=retired") == ["张建国"]


def test_the_list_is_paginated(client, city_staff, expert_pool):
    expert_pool(55)
    client.force_login(city_staff)
    first, second = client.get("/evaluation/experts/"), client.get("/evaluation/experts/?page=2")
    assert (len(first.context["page"]), len(second.context["page"])) == (50, 5)
    assert "共 55 名专家" in first.content.decode()


def test_editing_keeps_the_stored_id_number_when_left_empty(client, city_staff, tongjiang_expert):
    client.force_login(city_staff)
    response = client.post(f"/evaluation/experts/{tongjiang_expert.pk}/edit/",
                           {**FORM, "id_number": "", "title": "正高级工程师", "specialties": ["SRV-LAW"]})
    assert response.status_code == 302
    tongjiang_expert.refresh_from_db()
    assert (tongjiang_expert.id_number, tongjiang_expert.title) == (ID1, "正高级工程师")
    assert list(tongjiang_expert.specialties.values_list("code", flat=True)) == ["SRV-LAW"]
    entry = Entry.objects.latest("seq")
    assert entry.action == "expert.updated" and '"changed":["specialties","title"]' in entry.payload


def test_suspend_until_a_date_reinstate_and_retire(client, city_staff, tongjiang_expert):
    client.force_login(city_staff)
    url = f"/evaluation/experts/{tongjiang_expert.pk}/"
    until = timezone.localdate() + datetime.timedelta(days=30)
    client.post(url + "suspend/", {"until": until.isoformat(), "reason": "年度考核不合格"})
    tongjiang_expert.refresh_from_db()
    assert (tongjiang_expert.status, tongjiang_expert.suspended_until, tongjiang_expert.suspension_reason) == (
        "suspended", until, "年度考核不合格")
    assert f"暂停 · 至 {until:%Y-%m-%d} · 年度考核不合格" in client.get(url).content.decode()
    client.post(url + "reinstate/")
    tongjiang_expert.refresh_from_db()
    assert (tongjiang_expert.status, tongjiang_expert.suspended_until, tongjiang_expert.suspension_reason) == (
        "active", None, "")
    client.post(url + "retire/")
    tongjiang_expert.refresh_from_db()
    assert tongjiang_expert.status == "retired"
    actions_logged = list(Entry.objects.order_by("-seq").values_list("action", flat=True)[:3])
    assert actions_logged == ["expert.retired", "expert.reinstated", "expert.suspended"]


def test_a_suspension_must_end_after_today_and_a_retired_expert_stays_retired(client, city_staff, tongjiang_expert):
    client.force_login(city_staff)
    url = f"/evaluation/experts/{tongjiang_expert.pk}/"
    before = _snapshot()
    response = client.post(url + "suspend/", {"until": timezone.localdate().isoformat(), "reason": "x"}, follow=True)
    assert "暂停截止日期须晚于今天。" in response.content.decode()
    assert _snapshot() == before
    actions.retire_expert(actor=city_staff, expert_id=tongjiang_expert.pk)
    before = _snapshot()
    response = client.post(url + "reinstate/", follow=True)
    assert "只有被暂停的专家才能恢复。" in response.content.decode()
    assert _snapshot() == before


def test_county_staff_read_the_experts_of_their_county_only(client, tongjiang_staff, tongjiang_expert, nanjiang_expert):
    client.force_login(tongjiang_staff)
    page = client.get("/evaluation/experts/")
    assert [e.name for e in page.context["page"]] == ["张建国"]
    assert "新增专家" not in page.content.decode()
    assert client.get(f"/evaluation/experts/{tongjiang_expert.pk}/").status_code == 200
    assert client.get(f"/evaluation/experts/{nanjiang_expert.pk}/").status_code == 403


@pytest.mark.parametrize("who", ["tongjiang_staff", "city_regulator"])
def test_county_staff_and_regulators_cannot_write(client, who, request, tongjiang_expert):
    client.force_login(request.getfixturevalue(who))
    url = f"/evaluation/experts/{tongjiang_expert.pk}/"
    before = _snapshot()
    assert client.get(url).status_code == 200
    assert client.get("/evaluation/experts/new/").status_code == 403
    assert client.post("/evaluation/experts/new/", {**FORM, "id_number": ID2}).status_code == 403
    assert client.post(url + "edit/", {**FORM, "name": "改名"}).status_code == 403
    assert client.post(url + "suspend/", {"until": "2099-01-01", "reason": "x"}).status_code == 403
    assert client.post(url + "retire/").status_code == 403
    assert _snapshot() == before


def test_bidders_are_refused_and_anonymous_users_sent_to_sign_in(client, make_user, tongjiang_expert):
    client.force_login(make_user("bidder", "511900"))
    for path in ("/evaluation/experts/", f"/evaluation/experts/{tongjiang_expert.pk}/", "/evaluation/experts/export/"):
        assert client.get(path).status_code == 403
    client.logout()
    response = client.get("/evaluation/experts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
