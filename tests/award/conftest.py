"""Fixtures of the award tests: a tender whose evaluation is over, with its ranked candidates.

`evaluated` builds on tests/evaluation/conftest.py's `opened_tender` (the real opening: three sealed
bids at 1000, 1001 and 1002 万元 from three bidders of the city) and records the candidates the way the
evaluation's close does (trading.award.candidates.record_candidates, ranked by price), without running a
whole committee: the award steps only read the candidates."""

import datetime
from dataclasses import dataclass

import pytest
import time_machine
from django.utils import timezone

from ledger.queries import last_seq
from tests.evaluation.conftest import expert_pool, opened_tender, specialties  # noqa: F401  (fixtures)


@dataclass
class Evaluated:
    scene: object
    tender: object
    owner: object
    bidders: list  # in rank order (lowest price first)
    outsider: object
    regulator: object

    def refresh(self):
        self.tender.refresh_from_db()
        return self.tender


def evaluate(scene, *, at=None):
    from trading.award.candidates import record_candidates_from_opening

    record_candidates_from_opening(scene.tender.pk, report_received_at=at or timezone.now())
    scene.tender.refresh_from_db()
    return Evaluated(scene, scene.tender, scene.tender.created_by, list(scene.bidders), scene.outsider,
                     scene.regulator)


@pytest.fixture
def evaluated(opened_tender):  # noqa: F811
    return evaluate(opened_tender)


def publish(ev, **kwargs):
    from trading.actions.award import publish_candidates

    publicity = publish_candidates(actor=ev.owner, tender_id=ev.tender.pk, **kwargs)
    ev.refresh()
    return publicity


def after(moment, seconds=1):
    return time_machine.travel(moment + datetime.timedelta(seconds=seconds), tick=False)


BJ = datetime.timezone(datetime.timedelta(hours=8))


def bj(month, day, hour=0, minute=0, second=0):
    """An instant of 2027 in Beijing time (2027 has no announced holiday arrangement: weekends and the
    statutory holidays count, so the Spring Festival, Fri Feb 5 to Mon Feb 8, is a rest)."""
    return datetime.datetime(2027, month, day, hour, minute, second, tzinfo=BJ)


def frozen(moment):
    return time_machine.travel(moment, tick=False)


def snapshot(tender):
    """Everything the award steps write, to assert that a refused step changed nothing."""
    from records.models import Record
    from trading.models import Award, CandidateObjection, Complaint, Publicity, Tender

    return {
        "head": last_seq(), "status": Tender.objects.get(pk=tender.pk).status,
        "publicity": list(Publicity.objects.values_list("pk", "ends")),
        "objections": list(CandidateObjection.objects.values_list("pk", "answered_at")),
        "complaints": list(Complaint.objects.values_list("pk", "decided_at")),
        "awards": list(Award.objects.values_list("pk", "contract_signed_at", "reported_at")),
        "records": Record.objects.count(), "tenders": Tender.objects.count(),
    }


def read_record(record):
    with record.file.open("rb") as fh:
        return fh.read()
