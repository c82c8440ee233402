"""Answering objections at the opening (实施条例 art. 44; issue 9, item 6): a batch reaches only the
objections of the host's own opening, is bounded, and is all or nothing."""

import pytest

from accounts.errors import DomainError
from ledger.models import Entry
from tests.realtime.opening_setup import opening_scene
from trading.actions import opening
from trading.models import OpeningConfirmation


def _reading(scene):
    with scene.after_deadline():
        for custodian in scene.custodians[:2]:
            opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))
        opening.open_bids(scene.tender.pk)
    return scene


def test_a_batch_answers_only_objections_of_its_own_opening_and_is_bounded(platform_pki, regions):
    here, there = _reading(opening_scene(3)), _reading(opening_scene(3))
    with here.after_deadline(60):
        mine = opening.confirm_record(actor=here.bidders[0], tender_id=here.tender.pk, objection_text="报价读错")
        theirs = opening.confirm_record(actor=there.bidders[0], tender_id=there.tender.pk, objection_text="工期读错")
        refusals = {
            "other tender": ([mine.pk, theirs.pk], "not_found"),
            "a confirmation is no objection": (
                [opening.confirm_record(actor=here.bidders[1], tender_id=here.tender.pk).pk], "not_found"),
            "too many": ([mine.pk] * 501, "bad_confirmations"),
            "empty": ([], "bad_confirmations"),
            "not a list": (mine.pk, "bad_confirmations"),
            "a boolean": ([True], "bad_confirmations"),
            "out of range": ([2**63], "bad_confirmations"),
            "a string": ([str(mine.pk)], "bad_confirmations"),
        }
        head = Entry.objects.order_by("-seq").values_list("seq", flat=True).first()
        for case, (ids, code) in refusals.items():
            with pytest.raises(DomainError) as refused:
                opening.answer_objections_on_spot(actor=here.host, tender_id=here.tender.pk, confirmation_ids=ids,
                                                  answer="已核对")
            assert refused.value.code == code, case
        assert Entry.objects.order_by("-seq").values_list("seq", flat=True).first() == head  # nothing logged
        assert list(OpeningConfirmation.objects.filter(kind="objection").values_list("answer", flat=True)) == ["", ""]

        answered = opening.answer_objections_on_spot(actor=here.host, tender_id=here.tender.pk,
                                                     confirmation_ids=[mine.pk, mine.pk], answer="已核对")
        assert [(a.pk, a.answer, a.answered_by_id) for a in answered] == [(mine.pk, "已核对", here.host.pk)]
        theirs.refresh_from_db()
        assert (theirs.answer, theirs.answered_at) == ("", None)
