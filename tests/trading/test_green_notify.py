"""The officer and deputy of a green-channel project are texted every stage event of its tenders, after the
commit; other tenders text nobody, and an event rolled back texts nobody."""

import pytest
from django.db import transaction

from accounts import sms
from trading import actions

from .green_world import approved, submitted_tender


@pytest.fixture
def people(make_user, tongjiang_tenderer):
    officer = make_user("staff", "511921", username="tj_officer")
    deputy = make_user("staff", "511921", username="tj_deputy")
    officer.phone, deputy.phone = "13800000001", "13800000002"
    officer.save(update_fields=["phone"])
    deputy.save(update_fields=["phone"])
    return {"owner": tongjiang_tenderer, "staff": make_user("staff", "511921", username="tj_staff"),
            "officer": officer, "deputy": deputy}


def _texts(since):
    return sms.outbox[since:]


def test_publication_of_a_green_tender_texts_officer_and_deputy(people, django_capture_on_commit_callbacks):
    tender = submitted_tender(people["owner"])
    req = approved(people["owner"], people["staff"], people["officer"], people["deputy"], tender.project)
    since = len(sms.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_tender(actor=people["staff"], tender_id=tender.pk)
    sent = _texts(since)
    assert sorted(phone for phone, _ in sent) == ["13800000001", "13800000002"]
    text = sent[0][1]
    assert tender.code in text and "已发布" in text and "绿色通道" in text
    assert f"/tenders/green/{req.pk}/" in text


def test_an_ordinary_tender_texts_nobody(people, django_capture_on_commit_callbacks):
    tender = submitted_tender(people["owner"])
    since = len(sms.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_tender(actor=people["staff"], tender_id=tender.pk)
    assert _texts(since) == []


@pytest.mark.django_db(transaction=True)
def test_an_event_rolled_back_texts_nobody(people):
    tender = submitted_tender(people["owner"])
    approved(people["owner"], people["staff"], people["officer"], people["deputy"], tender.project)
    since = len(sms.outbox)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.approve_tender(actor=people["staff"], tender_id=tender.pk)
        raise RuntimeError("the surrounding work failed")
    assert _texts(since) == []
    with transaction.atomic():
        actions.approve_tender(actor=people["staff"], tender_id=tender.pk)
    assert len(_texts(since)) == 2
