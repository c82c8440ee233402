"""An attached file kept across a failed save of the new-tender form: the user need not choose it again.
Kept for its user only, for a day; the document checks (type, content, size) are those of the action."""

import datetime
import hashlib
import re

import pytest
import time_machine
from django.utils import timezone

from ledger.models import Entry
from tests.factories import pdf_file
from tests.trading.form_rows import new_tender_post
from trading import staging
from trading.models import Project, Tender, TenderDocument

BODY = b"%PDF-1.4\n% kept across a failed save\n%%EOF\n"
KEPT = '已附: 招标文件.pdf (保留)'


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def _staged_files(root):
    return sorted(p.name for p in (root / "staged-uploads").rglob("*") if p.is_file())


def _token(response):
    match = re.search(r'name="staged_document" value="([^"]+)"', response.content.decode())
    return match and match.group(1)


def _state():
    return Project.objects.count(), Tender.objects.count(), TenderDocument.objects.count(), Entry.objects.count()


@pytest.fixture
def failed(client, tongjiang_tenderer):
    """A save refused for a bid security over 2 %, with a good PDF attached."""
    client.force_login(tongjiang_tenderer)
    response = client.post("/tenders/new/", {**new_tender_post(bid_security="30000"),
                                             "document": pdf_file(body=BODY)})
    assert response.status_code == 400
    return response


def test_the_file_is_kept_and_shown_after_a_failed_save(failed, _var_dir):
    html = failed.content.decode()
    assert KEPT in html
    assert "移除此文件" in html
    assert Tender.objects.count() == 0
    assert len(_staged_files(_var_dir)) == 1


def test_the_fixed_form_saves_the_kept_file_without_choosing_it_again(client, failed, _var_dir):
    response = client.post("/tenders/new/", {**new_tender_post(), "staged_document": _token(failed)})
    assert response.status_code == 302
    doc = TenderDocument.objects.get()
    assert (doc.name, doc.size, doc.sha256) == ("招标文件.pdf", len(BODY), hashlib.sha256(BODY).hexdigest())
    assert doc.file.read() == BODY
    assert _staged_files(_var_dir) == []  # taken: removed


def test_a_second_failed_save_keeps_it_again(client, failed):
    token = _token(failed)
    response = client.post("/tenders/new/", {**new_tender_post(title=""), "staged_document": token})
    assert response.status_code == 400
    assert KEPT in response.content.decode()
    assert _token(response) == token


def test_the_user_may_remove_the_kept_file(client, failed, _var_dir):
    response = client.post("/tenders/new/", {**new_tender_post(), "staged_document": _token(failed),
                                             "discard_staged": "1"})
    assert response.status_code == 302
    assert TenderDocument.objects.count() == 0
    assert _staged_files(_var_dir) == []


def test_a_newly_chosen_file_replaces_the_kept_one(client, failed, _var_dir):
    other = b"%PDF-1.7\n% the corrected document\n%%EOF\n"
    response = client.post("/tenders/new/", {**new_tender_post(title=""), "staged_document": _token(failed),
                                             "document": pdf_file("修订版.pdf", other)})
    assert response.status_code == 400
    assert "已附: 修订版.pdf (保留)" in response.content.decode()
    assert len(_staged_files(_var_dir)) == 1
    assert client.post("/tenders/new/", {**new_tender_post(), "staged_document": _token(response)}).status_code == 302
    assert TenderDocument.objects.get().sha256 == hashlib.sha256(other).hexdigest()


def test_another_user_cannot_use_the_token(client, failed, make_user, _var_dir):
    token = _token(failed)
    client.force_login(make_user("tenderer", "511921", username="other_tenderer"))
    response = client.post("/tenders/new/", {**new_tender_post(), "staged_document": token})
    assert response.status_code == 302
    assert TenderDocument.objects.count() == 0  # saved without it
    assert len(_staged_files(_var_dir)) == 1  # and the owner's file is untouched


@pytest.mark.parametrize("token", ["", "forged", "eyJ1IjoxfQ:1xZ0mu:AAAA"])
def test_a_forged_token_attaches_nothing(client, failed, token):
    response = client.post("/tenders/new/", {**new_tender_post(title=""), "staged_document": token})
    assert response.status_code == 400
    assert "已附" not in response.content.decode()


def test_a_refused_file_is_not_kept_and_its_error_shows_with_the_others(client, tongjiang_tenderer, _var_dir):
    client.force_login(tongjiang_tenderer)
    before = _state()
    response = client.post("/tenders/new/", {**new_tender_post(bid_security="30000"),
                                             "document": pdf_file(body=b"MZ not a pdf at all")})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert sorted(errors) == ["bid_security", "document"]
    assert errors["document"] == ["文件“招标文件.pdf”与其扩展名不符:内容不是 .pdf 格式。"]
    assert "已附" not in response.content.decode()
    assert _staged_files(_var_dir) == []
    assert _state() == before


def test_the_size_limit_is_unchanged(client, tongjiang_tenderer, monkeypatch, _var_dir):
    monkeypatch.setattr("trading.files.MAX_DOCUMENT_BYTES", 10)
    client.force_login(tongjiang_tenderer)
    response = client.post("/tenders/new/", {**new_tender_post(), "document": pdf_file(body=BODY)})
    assert response.status_code == 400
    assert response.context["form"].errors["document"] == ["单个招标文件不得超过 200 MB。"]
    assert _staged_files(_var_dir) == []


def test_a_kept_file_expires_after_a_day_and_is_cleaned_up(client, tongjiang_tenderer, _var_dir):
    client.force_login(tongjiang_tenderer)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        response = client.post("/tenders/new/", {**new_tender_post(title=""), "document": pdf_file(body=BODY)})
        token = _token(response)
        old = _staged_files(_var_dir)
        clock.shift(datetime.timedelta(hours=25))
        response = client.post("/tenders/new/", {**new_tender_post(title=""), "staged_document": token})
        assert "已附" not in response.content.decode()  # the token is too old
        response = client.post("/tenders/new/", {**new_tender_post(title=""), "document": pdf_file("另一份.pdf")})
        assert "已附: 另一份.pdf (保留)" in response.content.decode()
    files = _staged_files(_var_dir)
    assert len(files) == 1 and files != old  # staging swept the day-old file


def test_sweep_keeps_younger_files(tongjiang_tenderer, _var_dir):
    kept = staging.stage(tongjiang_tenderer, pdf_file())
    staging.sweep()
    assert staging.take(tongjiang_tenderer, kept.token) == kept


def test_a_user_keeps_at_most_three_files(tongjiang_tenderer, _var_dir):
    staged = [staging.stage(tongjiang_tenderer, pdf_file(f"文件{i}.pdf")) for i in range(5)]
    assert len(_staged_files(_var_dir)) == staging.PER_USER == 3
    assert staging.take(tongjiang_tenderer, staged[-1].token) is not None


def test_the_sweep_command_removes_day_old_files(tongjiang_tenderer, _var_dir):
    from django.core.management import call_command

    with time_machine.travel(timezone.now(), tick=False) as clock:
        staging.stage(tongjiang_tenderer, pdf_file())
        call_command("sweep_staged_uploads")
        assert len(_staged_files(_var_dir)) == 1
        clock.shift(datetime.timedelta(hours=25))
        call_command("sweep_staged_uploads")
    assert _staged_files(_var_dir) == []
