import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from .helpers import flip_byte_in_first_revision, read, run


def test_render_sample_records_writes_a_signed_sample_of_every_kind(db, tmp_path):
    out = io.StringIO()

    call_command("render_sample_records", str(tmp_path), stdout=out)

    lines = out.getvalue().splitlines()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bid_receipt.pdf", "evaluation_report.pdf", "opening_record.pdf", "sample-ca.pem"]
    assert lines[0].startswith(f"{tmp_path / 'bid_receipt.pdf'}  1 pages  1 signatures  SHA-256 ")
    assert lines[1].startswith(f"{tmp_path / 'evaluation_report.pdf'}  5 pages  6 signatures  SHA-256 ")
    text = run("pdftotext", "-enc", "UTF-8", str(tmp_path / "evaluation_report.pdf"), "-").stdout.decode()
    # The rotated watermark comes out of pdftotext a character at a time.
    assert all(ch in text for ch in "样例仅供版式审阅")  # a sample can never pass for a record
    # Signed by the throwaway sample CA: valid for whoever trusts it, untrusted for the platform.
    call_command("verify_record", str(tmp_path / "evaluation_report.pdf"), "--ca", str(tmp_path / "sample-ca.pem"),
                 stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("verify_record", str(tmp_path / "bid_receipt.pdf"), stdout=io.StringIO())


def test_verify_record_prints_each_signature(produced_report, report_data, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(read(produced_report))
    out = io.StringIO()

    call_command("verify_record", str(path), stdout=out)

    text = out.getvalue()
    assert f"SHA-256 {produced_report.sha256}" in text
    assert f"[1] Expert01  {report_data.experts[0].name}  " in text
    assert "[4] Seal  巴中市公共资源交易平台 电子签章  " in text
    assert text.count("→ Valid") == 4
    assert text.rstrip().endswith("All 4 signatures are valid.")


def test_verify_record_exits_non_zero_for_a_broken_record(produced_report, tmp_path):
    path = tmp_path / "tampered.pdf"
    path.write_bytes(flip_byte_in_first_revision(read(produced_report)))
    # A real process, for the real exit status; it reads only the CA certificate from PKI_DIR.
    env = {**os.environ, "PKI_DIR": str(settings.PKI_DIR), "DJANGO_SETTINGS_MODULE": "config.settings"}

    result = subprocess.run([sys.executable, "manage.py", "verify_record", str(path)], capture_output=True,
                            env=env, cwd=settings.BASE_DIR, check=False)

    assert result.returncode == 1, result.stderr
    assert b"[1] Expert01" in result.stdout


def test_verify_record_refuses_a_file_that_is_not_a_pdf(db, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")

    with pytest.raises(CommandError, match="This file is not a PDF document."):
        call_command("verify_record", str(path))
