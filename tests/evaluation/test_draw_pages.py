"""The expert draw pages (issue 10), driven as people use them: staff request a draw and follow its seats
without ever seeing who was drawn, the regulator reads the names and contributes a secret, a drawn expert
answers with the code of their text message, and anyone verifies the draw once its secrets are revealed."""

import datetime
import hashlib
import json
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import sms
from evaluation.models import Draw, Seat, Venue
from ledger.models import Entry
from ledger.queries import last_seq
from tests.evaluation.draw_setup import REGULATOR_SECRET, close_evaluation, drawn, request, texted_codes
from tests.factories import make_user

NAME = re.compile(r"专家\d+")  # the names of tests.evaluation.conftest.make_experts


@pytest.fixture
def scene(opened_tender, expert_pool):
    scene = opened_tender
    scene.experts = expert_pool(8)
    return scene


def client_of(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def request_url(scene):
    return reverse("evaluation:draw_request", kwargs={"tender_id": scene.tender.pk})


def form_data(size=5, reps=0, rows=(("ENG-BLD", 5),), remote=False, venues=()):
    data = {"committee_size": str(size), "tenderer_representatives": str(reps),
            "req-TOTAL_FORMS": "4", "req-INITIAL_FORMS": "0", "req-MIN_NUM_FORMS": "0", "req-MAX_NUM_FORMS": "30"}
    if remote:
        data["remote"] = "on"
    for i, (specialty, count) in enumerate(rows):
        data[f"req-{i}-specialty"], data[f"req-{i}-count"] = specialty, str(count)
    for i, (venue, main) in enumerate(venues):
        data[f"req-{i}-venue"] = str(venue)
        if main:
            data[f"req-{i}-main"] = "on"
    return data


def page(response):
    return response.content.decode()


# --- staff request a draw ---------------------------------------------------------------------------------

def test_staff_request_a_draw_through_the_form(scene):
    staff = client_of(scene.host)
    form = staff.get(request_url(scene))
    assert form.status_code == 200
    html = page(form)
    assert "抽取评标专家" in html
    assert '<optgroup label="工程类">' in html and '<option value="ENG-BLD">房屋建筑</option>' in html
    assert '<optgroup label="经济类">' in html and '<option value="ECO-CST">工程造价</option>' in html
    response = staff.post(request_url(scene), form_data(size=7, reps=2, rows=[("ENG-BLD", 3), ("ECO-CST", 2)]))
    draw = Draw.objects.get(tender=scene.tender)
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:draw", kwargs={"pk": draw.pk})
    assert (draw.status, draw.committee_size, draw.tenderer_representatives, draw.remote) == ("committed", 7, 2, False)
    assert [(r.specialty.code, r.count, r.venue_id) for r in draw.requirements.order_by("id")] == [
        ("ENG-BLD", 3, None), ("ECO-CST", 2, None)]
    status = staff.get(response["Location"])
    assert "候选名单已冻结，平台随机数已承诺" in page(status)
    assert draw.platform_commitment in page(status)


def test_a_remote_draw_names_its_venues(scene):
    from accounts.models import Region

    main = Venue.objects.create(name="巴中市评标中心", region=Region.objects.get(code="511900"), seats=10)
    sub = Venue.objects.create(name="通江县评标室", region=Region.objects.get(code="511921"), seats=4)
    data = form_data(rows=[("ENG-BLD", 3), ("ECO-CST", 2)], remote=True, venues=[(main.pk, True), (sub.pk, False)])
    response = client_of(scene.host).post(request_url(scene), data)
    assert response.status_code == 302
    draw = Draw.objects.get(tender=scene.tender)
    assert [(r.venue_id, r.is_main_venue) for r in draw.requirements.order_by("id")] == [(main.pk, True),
                                                                                          (sub.pk, False)]


@pytest.mark.parametrize(("data", "message"), [
    (form_data(size=6, rows=[("ENG-BLD", 6)]), "评标委员会成员人数应为五人以上单数（《招标投标法》第三十七条）。"),
    (form_data(size=5, reps=2, rows=[("ENG-BLD", 3)]),
     "招标人代表不得超过成员总数的三分之一：技术、经济等方面的专家不得少于三分之二（《招标投标法》第三十七条）。"),
    (form_data(size=5, rows=[("ENG-BLD", 4)]),
     "各抽取条件的专家人数之和必须等于评标委员会人数减去招标人代表人数（5 名）。"),
    (form_data(size=5, rows=[("ENG-BLD", 5)], remote=True),
     "远程异地评标的每一项抽取条件都必须选择一个在用的评标场地。"),
    # 8 experts hold 工程造价, but 9 are asked for: the message names the specialty and the venue.
    (form_data(size=9, rows=[("ECO-CST", 9)]),
     "的专家不足：需要 9 名，能确保可抽的候选人只有 8 名。"),
    (form_data(size=5, rows=[("ENG-BLD", "")]), "此项为必填项。"),
], ids=["even", "representatives", "counts", "venue", "shortage", "count_missing"])
def test_each_mistake_is_explained_in_chinese_and_nothing_is_drawn(scene, data, message):
    head = last_seq()
    response = client_of(scene.host).post(request_url(scene), data)
    assert response.status_code in (400, 409)
    html = page(response)
    assert message in html, re.findall(r'class="errors"[^>]*>(.*?)</div>', html, re.S)
    assert Draw.objects.filter(tender=scene.tender, status__in=["committed", "drawn"]).count() == 0
    assert last_seq() == head


def test_the_shortage_message_is_next_to_the_form_as_an_alert(scene):
    response = client_of(scene.host).post(request_url(scene), form_data(size=9, rows=[("ECO-CST", 9)]))
    alert = re.search(r'<div class="errors" role="alert" id="draw-errors">(.*?)</div>', page(response), re.S)
    assert alert and "专业「经济类-工程造价」在「" in alert.group(1)


# --- sealed identities --------------------------------------------------------------------------------------

def _walk(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def test_staff_never_see_who_was_drawn_before_check_in(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seats = list(draw.seats.select_related("expert"))
    assert len(seats) == 5
    staff = client_of(scene.host)
    html = page(staff.get(reverse("evaluation:draw", kwargs={"pk": draw.pk})))
    assert "签到前保密" in html and "已通知" in html
    assert NAME.findall(html) == []
    for seat in seats:
        assert seat.expert.id_number not in html and seat.expert.id_last4 not in html
        assert seat.expert.phone not in html
        assert f"/answer/{seat.pk}/" not in html and seat.link_token not in html
    # Nor in the trading log, on the console or in its export: commitments, not experts.
    for entry in Entry.objects.filter(tender_ref=scene.tender.code, action__startswith="draw."):
        payload = json.loads(entry.payload)
        assert "expert" not in set(_walk(payload)) and "name" not in set(_walk(payload)), entry.action
        assert NAME.findall(entry.payload) == []
    from ledger import sth
    from records.tree_heads import register_tree_head_signer

    register_tree_head_signer()
    sth.publish()  # the export holds the entries a signed tree head covers
    for url in (reverse("ledger:console"), reverse("ledger:export")):
        response = staff.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode()
        assert "draw.drawn" in text
        assert NAME.findall(text) == []
        assert all(s.expert.id_number not in text for s in seats)
    # Nor the frozen list, which holds the candidates' ids: not before the reveal.
    assert staff.get(reverse("evaluation:draw_frozen_list", kwargs={"pk": draw.pk})).status_code == 404


def test_the_regulator_reads_the_names_with_the_id_numbers_last_four_only(scene, django_capture_on_commit_callbacks):
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    html = page(client_of(scene.regulator).get(reverse("evaluation:draw", kwargs={"pk": draw.pk})))
    for seat in draw.seats.select_related("expert"):
        assert f"{seat.expert.name} · {seat.expert.id_last4}" in html
        assert seat.expert.id_number not in html
    assert 'id="reveal-draw"' not in html and 'id="secret-panel"' not in html


# --- the regulator's secret ------------------------------------------------------------------------------------

def test_the_regulator_contributes_a_secret_and_the_experts_are_drawn(scene, django_capture_on_commit_callbacks):
    draw = request(scene)
    regulator = client_of(scene.regulator)
    html = page(regulator.get(reverse("evaluation:draw", kwargs={"pk": draw.pk})))
    assert 'id="secret-panel"' in html and 'id="generate-secret"' in html and "js/draw.js" in html
    secret = "0123456789abcdef" * 4
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = regulator.post(reverse("evaluation:draw_secret", kwargs={"pk": draw.pk}),
                                  {"secret_hex": secret.upper()})
    assert response.status_code == 302
    draw.refresh_from_db()
    assert draw.status == "drawn"
    assert draw.regulator_secret == secret
    assert draw.regulator_commitment == hashlib.sha256(bytes.fromhex(secret)).hexdigest()
    assert sorted(texted_codes()) == sorted(draw.seats.values_list("pk", flat=True)) and draw.seats.count() == 5
    html = page(regulator.get(response["Location"]))
    assert "您的随机数已提交" in html and 'id="secret-panel"' not in html


@pytest.mark.parametrize("secret", ["", "abc", "zz" * 32, "ab" * 33])
def test_a_secret_that_is_not_64_hex_digits_is_refused_in_chinese(scene, secret):
    draw = request(scene)
    head = last_seq()
    response = client_of(scene.regulator).post(reverse("evaluation:draw_secret", kwargs={"pk": draw.pk}),
                                               {"secret_hex": secret})
    assert response.status_code == 400
    assert ("随机数必须是 64 位十六进制数字（32 个随机字节）。" if secret else "此项为必填项。") in page(response)
    draw.refresh_from_db()
    assert (draw.status, draw.regulator_secret, last_seq()) == ("committed", "", head)


def test_the_regulator_cannot_request_a_draw(scene):
    regulator = client_of(scene.regulator)
    head = last_seq()
    assert regulator.get(request_url(scene)).status_code == 403
    assert regulator.post(request_url(scene), form_data()).status_code == 403
    assert (Draw.objects.count(), last_seq()) == (0, head)


def test_staff_cannot_contribute_the_regulators_secret(scene):
    draw = request(scene)
    head = last_seq()
    response = client_of(scene.host).post(reverse("evaluation:draw_secret", kwargs={"pk": draw.pk}),
                                          {"secret_hex": REGULATOR_SECRET})
    assert response.status_code == 403
    draw.refresh_from_db()
    assert (draw.status, last_seq()) == ("committed", head)
    assert 'id="secret-panel"' not in page(client_of(scene.host).get(reverse("evaluation:draw",
                                                                             kwargs={"pk": draw.pk})))


# --- bidders, other counties and the public ---------------------------------------------------------------------

def test_bidders_other_counties_and_anonymous_visitors_see_nothing_of_a_draw(scene, django_capture_on_commit_callbacks):
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    elsewhere = make_user("staff", "511922")
    head = last_seq()
    status_url = reverse("evaluation:draw", kwargs={"pk": draw.pk})
    for user in (scene.bidders[0], scene.outsider, elsewhere):
        client = client_of(user)
        assert client.get(status_url).status_code == 403
        assert client.get(request_url(scene)).status_code == 403
        assert client.post(request_url(scene), form_data()).status_code == 403
        assert client.post(reverse("evaluation:draw_secret", kwargs={"pk": draw.pk}),
                           {"secret_hex": REGULATOR_SECRET}).status_code == 403
        assert client.post(reverse("evaluation:draw_reveal", kwargs={"pk": draw.pk})).status_code == 403
    anonymous = Client()
    for url in (status_url, request_url(scene)):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert last_seq() == head


# --- the expert's answer ------------------------------------------------------------------------------------------

def answer_url(seat_id):
    return reverse("evaluation:draw_answer", kwargs={"token": Seat.objects.get(pk=seat_id).link_token})


def test_an_expert_accepts_with_the_code_and_only_then_sees_the_tender(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seat_id, code = next(iter(codes.items()))
    expert = Client()
    form = page(expert.get(answer_url(seat_id)))
    assert "短信中的 6 位验证码" in form
    assert scene.tender.title not in form and scene.tender.code not in form
    response = expert.post(answer_url(seat_id), {"code": code, "accept": "yes"})
    assert response.status_code == 200
    html = page(response)
    assert "您已确认参加本次评标委员会" in html
    assert f"{scene.tender.code} · {scene.tender.title}" in html
    assert "通江县交易中心评标室" in html
    assert Seat.objects.get(pk=seat_id).status == "accepted"


def test_an_expert_declines_with_a_reason_and_a_replacement_is_drawn(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seat_id, code = next(iter(codes.items()))
    expert = Client()
    response = expert.post(answer_url(seat_id), {"code": code, "accept": "no", "reason": ""})
    assert response.status_code == 400 and "请说明不参加的理由。" in page(response)
    assert Seat.objects.get(pk=seat_id).status == "notified"
    with django_capture_on_commit_callbacks(execute=True):
        response = expert.post(answer_url(seat_id), {"code": code, "accept": "no", "reason": "出差在外"})
    assert response.status_code == 200 and "您不参加本次评标" in page(response)
    seat = Seat.objects.get(pk=seat_id)
    assert (seat.status, seat.decline_reason) == ("declined", "出差在外")
    assert Seat.objects.filter(draw=draw, replaces=seat).count() == 1


def test_a_wrong_code_is_refused_and_too_many_lock_the_seat(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seat_id, code = next(iter(codes.items()))
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    expert = Client()
    response = expert.post(answer_url(seat_id), {"code": "12a", "accept": "yes"})
    assert response.status_code == 400 and "验证码为 6 位数字。" in page(response)
    assert Seat.objects.get(pk=seat_id).code_attempts == 0  # a malformed code costs no attempt
    for attempt in range(5):
        response = expert.post(answer_url(seat_id), {"code": wrong, "accept": "yes"})
        assert response.status_code == 400 and "验证码错误。" in page(response), attempt
        assert scene.tender.title not in page(response)
    response = expert.post(answer_url(seat_id), {"code": code, "accept": "yes"})
    assert response.status_code == 429 and "验证码错误次数过多，请致电交易中心。" in page(response)
    assert Seat.objects.get(pk=seat_id).status == "notified"


def test_an_answer_after_the_deadline_is_too_late(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seat_id, code = next(iter(codes.items()))
    seat = Seat.objects.get(pk=seat_id)
    with time_machine.travel(seat.respond_by + datetime.timedelta(seconds=1)), \
            django_capture_on_commit_callbacks(execute=True):
        response = Client().post(answer_url(seat_id), {"code": code, "accept": "yes"})
    assert response.status_code == 409 and "答复时间已过，已另行补抽专家。" in page(response)
    assert Seat.objects.get(pk=seat_id).status == "timed_out"


# --- the reveal and the public verification ----------------------------------------------------------------------

def _accept_all(draw, codes, capture):
    with capture(execute=True):
        for seat_id, code in codes.items():
            assert Client().post(answer_url(seat_id), {"code": code, "accept": "yes"}).status_code == 200
    draw.refresh_from_db()
    assert draw.status == "complete"


def test_before_the_reveal_the_verify_page_says_when_the_secrets_come(scene, django_capture_on_commit_callbacks):
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    response = Client().get(reverse("evaluation:draw_verify", kwargs={"pk": draw.pk}))
    assert response.status_code == 200
    html = page(response)
    assert "随机数和冻结候选名单在评标结束后公开" in html
    assert draw.platform_commitment in html and draw.platform_secret not in html
    assert draw.regulator_secret not in html and draw.seed not in html
    assert Client().get(reverse("evaluation:draw_frozen_list", kwargs={"pk": draw.pk})).status_code == 404


def test_staff_reveal_after_the_evaluation_and_anyone_verifies(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    _accept_all(draw, codes, django_capture_on_commit_callbacks)
    staff = client_of(scene.host)
    status_url = reverse("evaluation:draw", kwargs={"pk": draw.pk})
    assert 'id="reveal-draw"' not in page(staff.get(status_url))  # the evaluation is not closed yet
    response = staff.post(reverse("evaluation:draw_reveal", kwargs={"pk": draw.pk}), follow=True)
    assert "评标结束后才能公开本次抽取的随机数。" in page(response)
    close_evaluation(scene.tender)
    assert 'id="reveal-draw"' in page(staff.get(status_url))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("evaluation:draw_reveal", kwargs={"pk": draw.pk}), follow=True)
    assert "两个随机数均已公开" in page(response)
    draw.refresh_from_db()
    assert draw.status == "revealed"

    anyone = Client()
    html = page(anyone.get(reverse("evaluation:draw_verify", kwargs={"pk": draw.pk})))
    assert "抽取结果已验证：评标委员会与公开数据一致" in html
    for value in (draw.platform_secret, draw.regulator_secret, draw.seed, draw.frozen_list_sha256,
                  draw.platform_commitment, draw.regulator_commitment):
        assert value in html
    for seat in draw.seats.all():
        assert f'<td class="mono">{seat.expert_id}</td>' in html
    frozen = anyone.get(reverse("evaluation:draw_frozen_list", kwargs={"pk": draw.pk}))
    assert frozen.status_code == 200 and frozen["Content-Type"] == "application/json"
    assert hashlib.sha256(frozen.content).hexdigest() == draw.frozen_list_sha256


def test_the_verify_page_names_a_mismatch(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    _accept_all(draw, codes, django_capture_on_commit_callbacks)
    close_evaluation(scene.tender)
    from evaluation.actions import draw as actions

    actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    document = json.loads(draw.frozen_list)
    document["candidates"] = document["candidates"][1:]  # someone drops a candidate from the stored list
    from ledger.canonical import canonical_json

    Draw.objects.filter(pk=draw.pk).update(frozen_list=canonical_json(document).decode())
    html = page(Client().get(reverse("evaluation:draw_verify", kwargs={"pk": draw.pk})))
    assert "抽取结果与公开数据不一致" in html
    assert "抽取结果已验证" not in html


def test_the_tender_page_links_its_draw_for_staff_and_regulators_only(scene):
    draw = request(scene)
    detail = reverse("trading:detail", kwargs={"pk": scene.tender.pk})
    status_link = f'href="{reverse("evaluation:draw", kwargs={"pk": draw.pk})}"'
    staff = page(client_of(scene.host).get(detail))
    assert status_link in staff and f'href="{request_url(scene)}"' in staff
    regulator = page(client_of(scene.regulator).get(detail))
    assert status_link in regulator and f'href="{request_url(scene)}"' not in regulator
    for html in (page(client_of(scene.bidders[0]).get(detail)), page(Client().get(detail))):
        assert status_link not in html and 'id="tender-draws"' not in html


def test_an_answer_link_cannot_be_guessed_from_the_seat_number(scene, django_capture_on_commit_callbacks):
    """Seat ids count up: were they the link, a stranger could use up every seat's code attempts."""
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seat_id, code = next(iter(codes.items()))
    stranger = Client()
    for guess in (str(seat_id), "1", "0000000000000000000000"):
        response = stranger.post(f"/evaluation/draws/answer/{guess}/", {"code": "000000", "accept": "yes"})
        assert response.status_code == 404
    seat = Seat.objects.get(pk=seat_id)
    assert (seat.code_attempts, seat.status) == (0, "notified")
    # The texted link still works.
    assert Client().post(answer_url(seat_id), {"code": code, "accept": "yes"}).status_code == 200
    assert Seat.objects.get(pk=seat_id).status == "accepted"
