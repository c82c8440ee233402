"""Tenders in every state that publishes a release, built through the platform's actions.

- `published_tender` (tests/trading/bidding.py): published, no bids.
- `amended`: published, then an amendment (with a file, moving the deadline) and a clarification.
- `opened_tender` (tests/evaluation/conftest.py): the real opening of three sealed bids, closed by the host.
- `failed`: one bid at the deadline: the tender fails (招标投标法 art. 28).
- `awarded`: `opened_tender`, its candidates recorded from the opening (trading.award.candidates), publicized,
  the award confirmed after the publicity, the contract signed (trading.actions.award).
"""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from tests.evaluation.conftest import opened_tender, specialties  # noqa: F401  (fixtures)
from tests.factories import pdf_file


@pytest.fixture(autouse=True)
def _calendar(db):
    """Tenders need the holiday calendar (legal periods count working days); transactional tests flush it."""
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    if not CalendarYear.objects.exists():
        seed_from_package(CalendarDay, CalendarYear)


@pytest.fixture
def published_tender(regions, platform_pki):
    from tests.trading.bidding import published_tender as make

    return make()


@pytest.fixture
def amended(published_tender):
    from trading import actions

    tender = published_tender
    with time_machine.travel(tender.bid_deadline - datetime.timedelta(days=5), tick=False):
        actions.issue_amendment(actor=tender.created_by, tender_id=tender.pk, kind="amendment",
                                text="工期由365天调整为300天。", files=[pdf_file("变更通知.pdf")])
        actions.issue_amendment(actor=tender.created_by, tender_id=tender.pk, kind="clarification",
                                text="资格条件中的“类似业绩”指近三年业绩。", affects_bids=False)
    tender.refresh_from_db()
    return tender


@pytest.fixture
def failed(published_tender):
    from django.test import Client

    from tests.trading.bidding import bidder_with_keys, submit
    from trading.actions.opening import start_opening

    tender = published_tender
    submit(Client(), tender, bidder_with_keys())
    with time_machine.travel(tender.bid_deadline + datetime.timedelta(seconds=1), tick=False):
        start_opening(tender.pk)
    tender.refresh_from_db()
    assert tender.status == "failed"
    return tender


@pytest.fixture
def awarded(opened_tender):  # noqa: F811
    from trading.actions import award
    from trading.award.candidates import record_candidates_from_opening

    tender = opened_tender.tender
    owner = tender.created_by
    record_candidates_from_opening(tender.pk)
    publicity = award.publish_candidates(actor=owner, tender_id=tender.pk)
    with time_machine.travel(publicity.ends + datetime.timedelta(seconds=1), tick=False):
        award.confirm_award(actor=owner, tender_id=tender.pk)
        award.record_contract_signed(actor=owner, tender_id=tender.pk, signed_at=timezone.now())
    tender.refresh_from_db()
    assert tender.status == "awarded"
    opened_tender.tender = tender
    return opened_tender


def releases_of(client, tender):
    """Every release of `tender`, through the record endpoint."""
    from trading.ocds.build import ocid

    response = client.get(f"/api/ocds/records/{ocid(tender.code)}/")
    assert response.status_code == 200, response.content
    return response.json()["records"][0]["releases"]


def jsonl(client, **params):
    response = client.get("/api/ocds/releases.jsonl", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/x-ndjson")
    text = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in text.splitlines()], text
