"""The reveal and `verify_draw`: after the evaluation anyone recomputes the committee from published data;
a changed list, secret or order is reported as a mismatch (exit 1)."""

import io
import json

import pytest
from django.core.management import call_command

from accounts.errors import DomainError, Forbidden
from evaluation.actions import draw as actions
from evaluation.models import Draw, Seat
from tests.evaluation.draw_setup import close_evaluation, draw_entries, drawn, texted_codes


@pytest.fixture
def scene(opened_tender, expert_pool):
    expert_pool(10)
    return opened_tender


def _verify(draw):
    out = io.StringIO()
    try:
        call_command("verify_draw", str(draw.pk), stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def _complete(scene, capture):
    """A draw where the seat at counter 1 declines and its replacement accepts, like the others."""
    draw, codes = drawn(scene, capture)
    seats = list(draw.seats.order_by("counter"))
    with capture(execute=True):
        actions.respond_to_seat(seat_id=seats[1].pk, code=codes[seats[1].pk], accept=False)
    codes = texted_codes()
    for seat in draw.seats.filter(status="notified"):
        actions.respond_to_seat(seat_id=seat.pk, code=codes[seat.pk], accept=True)
    draw.refresh_from_db()
    assert draw.status == Draw.Status.COMPLETE
    return draw


def test_a_revealed_draw_with_a_replacement_verifies(scene, django_capture_on_commit_callbacks):
    draw = _complete(scene, django_capture_on_commit_callbacks)
    close_evaluation(scene.tender)
    actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    draw.refresh_from_db()
    assert draw.status == Draw.Status.REVEALED
    action, payload = draw_entries(draw)[-1]
    assert action == "draw.revealed"
    assert (payload["platform_secret"], payload["regulator_secret"], payload["seed"]) == (
        draw.platform_secret, "ab" * 32, draw.seed)
    assert payload["seats"][1] == {"counter": 1, "requirement": 0, "expert": draw.seats.get(counter=1).expert_id,
                                   "nonce": draw.seats.get(counter=1).nonce, "status": "declined", "replaces": None}
    assert payload["seats"][5]["replaces"] == 1
    assert _verify(draw) == (0, f"draw {draw.pk} verified: committee matches\n")
    assert actions.verify_draw_record(draw) == []


def test_a_changed_list_is_a_mismatch(scene, django_capture_on_commit_callbacks):
    draw = _complete(scene, django_capture_on_commit_callbacks)
    close_evaluation(scene.tender)
    actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    document = json.loads(draw.frozen_list)
    document["candidates"] = document["candidates"][:-1]  # one candidate fewer: another list
    Draw.objects.filter(pk=draw.pk).update(frozen_list=json.dumps(document, sort_keys=True, separators=(",", ":"),
                                                                  ensure_ascii=False))
    draw.refresh_from_db()
    code, out = _verify(draw)
    assert code == 1
    assert out.splitlines()[:2] == [f"draw {draw.pk} does not verify: {out.count('  - ')} mismatch(es)",
                                    "  - The frozen list does not match the hash logged at the request."]


def test_a_changed_secret_is_a_mismatch(scene, django_capture_on_commit_callbacks):
    draw = _complete(scene, django_capture_on_commit_callbacks)
    Draw.objects.filter(pk=draw.pk).update(platform_secret="00" * 32)  # not the committed one
    close_evaluation(scene.tender)
    actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    draw.refresh_from_db()
    code, out = _verify(draw)
    assert code == 1
    assert "  - The platform's secret does not match its logged commitment." in out.splitlines()
    assert "  - The revealed seed is not SHA-256 of the secrets and the list's hash." in out.splitlines()


def test_a_changed_order_is_a_mismatch(scene, django_capture_on_commit_callbacks):
    draw = _complete(scene, django_capture_on_commit_callbacks)
    first, second = draw.seats.get(counter=0), draw.seats.get(counter=2)
    # Two picks swapped (unique (draw, expert): through a free counter).
    Seat.objects.filter(pk=first.pk).update(counter=99)
    Seat.objects.filter(pk=second.pk).update(counter=0)
    Seat.objects.filter(pk=first.pk).update(counter=2)
    close_evaluation(scene.tender)
    actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    code, out = _verify(draw)
    assert code == 1
    lines = out.splitlines()
    assert f"  - Pick 0: the procedure gives expert {first.expert_id}, the draw has {second.expert_id}." in lines
    assert "  - Pick 0 does not match its logged commitment." in lines


def test_a_committee_changed_after_the_reveal_is_a_mismatch(scene, django_capture_on_commit_callbacks):
    draw = _complete(scene, django_capture_on_commit_callbacks)
    close_evaluation(scene.tender)
    actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    Seat.objects.filter(draw=draw, counter=1).update(status="accepted")
    code, out = _verify(draw)
    assert (code, out.splitlines()[-1]) == (1, "  - The committee on the platform is not the revealed one.")


def test_the_reveal_waits_for_the_end_of_the_evaluation(scene, make_user, django_capture_on_commit_callbacks):
    draw = _complete(scene, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as caught:
        actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    assert caught.value.code == "evaluation_not_closed"
    close_evaluation(scene.tender)
    for user in (scene.regulator, make_user("staff", "511922"), scene.bidders[0]):
        with pytest.raises(Forbidden):
            actions.reveal_draw(actor=user, draw_id=draw.pk)
    assert Draw.objects.get(pk=draw.pk).status == Draw.Status.COMPLETE
    assert [a for a, _p in draw_entries(draw)][-1] == "draw.complete"
    assert _verify(draw) == (1, f"draw {draw.pk} does not verify: 1 mismatch(es)\n"
                                "  - The secrets of this draw are not revealed yet.\n")
    actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    with pytest.raises(DomainError) as caught:
        actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    assert caught.value.code == "nothing_to_reveal"
