"""A failed tender (fewer than 3 bids, 实施条例 art. 44) is re-tendered in one step: a new draft of the
same project with its settings and copies of its documents, linked by retender_of, logged."""

import datetime
import hashlib

import pytest
import time_machine

from accounts.errors import DomainError, Forbidden
from ledger.models import Entry
from tests.factories import make_user
from tests.trading.bidding import published_tender
from trading.actions.opening import start_opening
from trading.actions.retender import retender
from trading.models import Tender

from .conftest import snapshot


@pytest.fixture
def failed(platform_pki, regions):
    tender = published_tender(title="道路改造工程", description="原招标说明", bid_security_fen=1_000_000)
    moment = tender.bid_deadline + datetime.timedelta(seconds=1)
    with time_machine.travel(moment, tick=True):
        start_opening(tender.pk, now=moment)
        tender.refresh_from_db()
        assert tender.status == "failed" and tender.failure_reason == "fewer_than_three_bids"
        yield tender


def test_the_tenderer_retenders_a_failed_tender_in_one_step(failed):
    owner = failed.created_by
    new = retender(actor=owner, tender_id=failed.pk)
    assert new.status == "draft" and new.retender_of_id == failed.pk and new.project_id == failed.project_id
    assert new.title == "道路改造工程（重新招标）"
    for field in ("description", "venue", "estimated_price_fen", "bid_security_fen", "evaluation_method", "criteria",
                  "evaluation_terms", "bid_letter_fields", "max_bid_bytes", "category", "region_id"):
        assert getattr(new, field) == getattr(failed, field), field
    assert new.documents_from - failed.bid_deadline > datetime.timedelta(hours=12)  # a new schedule, from tomorrow
    assert new.bid_deadline - new.documents_from >= datetime.timedelta(days=20)
    old_docs = list(failed.documents.values_list("name", "sha256"))
    assert old_docs and list(new.documents.values_list("name", "sha256")) == old_docs
    for doc in new.documents.all():
        with doc.file.open("rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == doc.sha256
        assert doc.file.name not in set(failed.documents.values_list("file", flat=True))  # a copy, not a share
    entry = Entry.objects.get(action="tender.retendered")
    assert entry.tender_ref == new.code and f'"retender_of":{failed.pk}' in entry.payload.replace(" ", "")


def test_a_tender_is_retendered_once(failed):
    retender(actor=failed.created_by, tender_id=failed.pk)
    before = snapshot(failed)
    with pytest.raises(DomainError) as exc:
        retender(actor=failed.created_by, tender_id=failed.pk)
    assert exc.value.code == "already_retendered"
    assert snapshot(failed) == before


def test_only_the_tenderer_of_a_failed_tender_retenders(failed):
    others = [make_user("tenderer", "511921"), make_user("staff", "511921"), make_user("regulator", "511900"),
              make_user("bidder")]
    before = snapshot(failed)
    for actor in others:
        with pytest.raises(Forbidden):
            retender(actor=actor, tender_id=failed.pk)
    assert snapshot(failed) == before
    assert Tender.objects.filter(retender_of=failed).count() == 0


def test_a_tender_that_did_not_fail_is_not_retendered(platform_pki, regions):
    tender = published_tender()
    before = snapshot(tender)
    with pytest.raises(DomainError) as exc:
        retender(actor=tender.created_by, tender_id=tender.pk)
    assert exc.value.code == "not_failed"
    assert snapshot(tender) == before
