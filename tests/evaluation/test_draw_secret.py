"""The regulator's secret: nobody can steer the draw. The platform's commitment is logged before the
regulator is asked, a commitment cannot be changed once logged, the regulator gives the secret and
nobody else can, and the log names no drawn expert."""

import datetime
import hashlib
import json

import pytest
from django.utils import timezone

from accounts import sms
from accounts.errors import DomainError, Forbidden
from accounts.permissions import READ_ONLY_PERMISSIONS, can
from evaluation import draw as procedure
from evaluation.actions import draw as actions
from evaluation.models import Draw, Expert, Seat
from ledger.models import Entry
from tests.evaluation.draw_setup import REGULATOR_SECRET, draw_entries, drawn, request, texted_codes


@pytest.fixture
def scene(opened_tender, expert_pool):
    expert_pool(12)
    return opened_tender


def _state(draw):
    draw.refresh_from_db()
    return (Entry.objects.order_by("-seq").values_list("seq", flat=True).first(), draw.status, draw.regulator_secret,
            draw.seed, sorted(Seat.objects.values_list("id", "expert_id", "status")))


def test_the_platform_commits_first_and_the_seed_needs_both_secrets(scene, django_capture_on_commit_callbacks):
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    entries = list(Entry.objects.filter(action__startswith="draw.").order_by("seq"))
    assert [e.action for e in entries] == ["draw.requested", "draw.regulator_committed", "draw.drawn"]
    requested, committed = json.loads(entries[0].payload), json.loads(entries[1].payload)
    assert requested["platform_commitment"] == draw.platform_commitment
    assert draw.platform_commitment == hashlib.sha256(bytes.fromhex(draw.platform_secret)).hexdigest()
    assert committed == {"draw": draw.pk, "regulator_commitment": hashlib.sha256(b"\xab" * 32).hexdigest()}
    assert (entries[1].actor_id, entries[1].role) == (scene.regulator.pk, "regulator")
    assert draw.seed == hashlib.sha256(bytes.fromhex(draw.platform_secret) + b"\xab" * 32
                                       + bytes.fromhex(draw.frozen_list_sha256)).hexdigest()
    assert draw.status == Draw.Status.DRAWN
    # The committee is a function of the seed and the frozen list alone.
    picks = procedure.initial_picks(draw.seed, json.loads(draw.frozen_list))
    assert [(s.counter, s.expert_id) for s in draw.seats.order_by("counter")] == [(c, e) for c, _r, e in picks]


def test_a_commitment_cannot_be_changed_once_logged(scene, django_capture_on_commit_callbacks):
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    before = _state(draw)
    with pytest.raises(DomainError) as caught:
        actions.contribute_regulator_secret(actor=scene.regulator, draw_id=draw.pk, secret_hex="cd" * 32)
    assert caught.value.code == "secret_already_given"
    assert _state(draw) == before
    assert Entry.objects.filter(action="draw.regulator_committed").count() == 1


def test_the_regulator_gives_the_secret_and_nobody_else(scene, make_user):
    draw = request(scene)
    others = [scene.host, make_user("staff", "511900"), make_user("regulator", "511922"), scene.bidders[0],
              scene.outsider]
    before = _state(draw)
    for user in others:
        with pytest.raises(Forbidden):
            actions.contribute_regulator_secret(actor=user, draw_id=draw.pk, secret_hex=REGULATOR_SECRET)
    assert _state(draw) == before
    assert "draw.contribute" in READ_ONLY_PERMISSIONS and "draw.request" not in READ_ONLY_PERMISSIONS
    assert not can(scene.regulator, "draw.request", scene.tender)
    assert can(make_user("regulator", "511900"), "draw.contribute", scene.tender)  # city regulators cover it
    actions.contribute_regulator_secret(actor=scene.regulator, draw_id=draw.pk, secret_hex=REGULATOR_SECRET.upper())
    draw.refresh_from_db()
    assert (draw.status, draw.regulator_id, draw.regulator_secret) == ("drawn", scene.regulator.pk, REGULATOR_SECRET)


@pytest.mark.parametrize("secret", ["", "ab" * 31, "ab" * 33, "zz" * 32, None, 12345])
def test_a_secret_is_64_hex_digits(scene, secret):
    draw = request(scene)
    before = _state(draw)
    with pytest.raises(DomainError) as caught:
        actions.contribute_regulator_secret(actor=scene.regulator, draw_id=draw.pk, secret_hex=secret)
    assert (caught.value.code, caught.value.extra) == ("invalid_secret", {"field": "secret_hex"})
    assert _state(draw) == before


def test_each_drawn_expert_gets_a_link_and_a_code_and_the_log_names_no_one(scene, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    start = timezone.now()
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seats = list(draw.seats.select_related("expert").order_by("counter"))
    assert sorted(codes) == sorted(s.pk for s in seats)
    assert {phone for phone, _text in sms.outbox} == {s.expert.phone for s in seats}
    phone, text = next((p, t) for p, t in sms.outbox if p == seats[0].expert.phone)
    assert text.startswith(f"【巴中市公共资源交易平台】您被随机抽取为标段 {scene.tender.code} 的评标专家。")
    assert f"http://127.0.0.1:8000/evaluation/draws/answer/{seats[0].link_token}/" in text
    assert len(seats[0].link_token) >= 22 and len({s.link_token for s in seats}) == len(seats)
    for seat in seats:
        assert seat.status == Seat.Status.NOTIFIED
        assert datetime.timedelta(minutes=30) <= seat.respond_by - start < datetime.timedelta(minutes=31)
        assert codes[seat.pk] not in seat.code_hash and len(seat.code_hash) == 64
    runs = list(DBTaskResult.objects.filter(task_path="evaluation.tasks.expire_unanswered_task")
                .values_list("run_after", "args_kwargs"))
    assert runs == [(seats[0].respond_by, {"args": [draw.pk], "kwargs": {}})]
    [(_, drawn_entry)] = [e for e in draw_entries(draw) if e[0] == "draw.drawn"]
    assert drawn_entry["seats"] == [
        {"counter": s.counter, "requirement": 0,
         "commitment": procedure.seat_commitment(draw.pk, s.counter, s.expert_id, s.nonce)} for s in seats]
    _assert_log_names_no_expert()


def _assert_log_names_no_expert():
    """No entry carries a drawn expert's name, ID number, phone, nonce or id under any key."""
    seats = list(Seat.objects.select_related("expert"))
    texts = list(Entry.objects.values_list("payload", flat=True))
    for seat in seats:
        for secret in (seat.expert.name, seat.expert.id_number, seat.expert.phone, seat.nonce):
            assert not any(secret in text for text in texts), secret

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                assert key not in ("expert", "experts", "name", "phone", "id_number"), value
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for text in Entry.objects.filter(action__startswith="draw.").values_list("payload", flat=True):
        walk(json.loads(text))
    assert Expert.objects.exists()


def test_answers_and_replacements_name_no_one_either(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seats = list(draw.seats.order_by("counter"))
    with django_capture_on_commit_callbacks(execute=True):
        actions.respond_to_seat(seat_id=seats[0].pk, code=codes[seats[0].pk], accept=False, reason="出差")
        actions.respond_to_seat(seat_id=seats[1].pk, code=codes[seats[1].pk], accept=True)
    codes = texted_codes()
    for seat in draw.seats.filter(status="notified"):
        actions.respond_to_seat(seat_id=seat.pk, code=codes[seat.pk], accept=True)
    assert Draw.objects.get(pk=draw.pk).status == Draw.Status.COMPLETE
    assert "出差" not in "".join(Entry.objects.values_list("payload", flat=True))
    _assert_log_names_no_expert()


def test_the_realtime_events_carry_statuses_and_the_log_no_name(scene):
    from ledger import sequencer
    from realtime.testing import capture_events, logged_entries

    with capture_events() as events:
        draw = request(scene)
        actions.contribute_regulator_secret(actor=scene.regulator, draw_id=draw.pk, secret_hex=REGULATOR_SECRET)
        sequencer.hash_pending()  # the log's watchers hear of the entries once they are hashed
    changed = [e for e in events if e["type"] == "draw.changed"]
    assert [(e["group"], e["data"]) for e in changed] == [
        (f"tender-{scene.tender.pk}", {"draw": draw.pk, "tender": scene.tender.pk, "status": "committed",
                                       "action": "draw.requested"}),
        (f"tender-{scene.tender.pk}", {"draw": draw.pk, "tender": scene.tender.pk, "status": "drawn",
                                       "action": "draw.drawn"})]
    ledger = logged_entries(events)
    assert [e["action"] for e in ledger][-3:] == ["draw.requested", "draw.regulator_committed", "draw.drawn"]
    names = list(Expert.objects.filter(seats__draw=draw).values_list("name", flat=True))
    assert len(names) == 5 and not any(name in repr(ledger) for name in names)
