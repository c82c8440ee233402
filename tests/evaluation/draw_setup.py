"""Helpers of the draw tests: request a draw, give the regulator's secret, read the texts experts got."""

import json
import re

from accounts import sms
from evaluation.actions import draw as actions
from evaluation.models import Seat
from ledger.models import Entry

REGULATOR_SECRET = "ab" * 32
SMS_LINK = re.compile(r"/evaluation/draws/answer/([-\w]+)/\D*?(\d{6})")


def one_requirement(count=5, specialty="ENG-BLD", **extra):
    return [{"specialty": specialty, "count": count, "venue": None, "main": False, "offsite": False, **extra}]


def request(scene, requirements=None, committee_size=5, representatives=0, remote=False, actor=None):
    return actions.request_draw(actor=actor or scene.host, tender_id=scene.tender.pk, committee_size=committee_size,
                                tenderer_representatives=representatives,
                                requirements=(requirements if requirements is not None
                                              else one_requirement(committee_size - representatives)),
                                remote=remote)


def drawn(scene, capture, secret=REGULATOR_SECRET, **kwargs):
    """Request and contribute (running on-commit callbacks: texts, tasks); returns (draw, {seat id: code})."""
    sms.outbox.clear()
    with capture(execute=True):
        draw = request(scene, **kwargs)
        actions.contribute_regulator_secret(actor=scene.regulator, draw_id=draw.pk, secret_hex=secret)
    draw.refresh_from_db()
    return draw, texted_codes()


def texted_codes():
    """{seat id: one-time code} from the texts sent so far."""
    codes = {}
    for _phone, text in sms.outbox:
        match = SMS_LINK.search(text)
        assert match, text
        codes[Seat.objects.get(link_token=match.group(1)).pk] = match.group(2)
    return codes


def draw_entries(draw):
    """[(action, payload)] of the draw's log entries, in order."""
    rows = Entry.objects.filter(tender_ref=draw.tender.code, action__startswith="draw.").order_by("seq")
    return [(e.action, json.loads(e.payload)) for e in rows if json.loads(e.payload).get("draw") == draw.pk]


def close_evaluation(tender):
    """The evaluation session (a later issue) ends the evaluation; until it exists, its outcome is set here."""
    type(tender).objects.filter(pk=tender.pk).update(status="evaluated")
    tender.refresh_from_db()
