"""Render, sign by three experts and the platform seal, verify — and break it on purpose."""

import pytest
from django.core.management import CommandError, call_command

from records import pki, signing
from records.render import LedgerAnchor, render
from records.verify import DOCUMENT, OTHER, REVISION, SIGNATURES, async_verify_pdf, verify_pdf

from .helpers import append_drawing, flip_byte_in_first_revision, read


def test_every_signature_of_a_produced_report_is_intact_and_trusted(produced_report, report_data):
    report = verify_pdf(read(produced_report))

    assert report.ok
    assert [s.signer for s in report.signatures] == [*(e.name for e in report_data.experts), pki.SEAL_NAME]
    assert [s.field for s in report.signatures] == ["Expert01", "Expert02", "Expert03", "Seal"]
    assert all(s.intact and s.trusted for s in report.signatures)
    # Each expert's signature covers the file as they signed it; later revisions only add signatures.
    assert [(s.coverage, s.changes_after) for s in report.signatures[:3]] == [(REVISION, SIGNATURES)] * 3
    assert (report.signatures[-1].coverage, report.signatures[-1].changes_after) == (DOCUMENT, "none")
    assert all(s.signing_time is not None and not s.timestamped for s in report.signatures)


def test_changing_one_byte_of_a_signed_revision_breaks_its_signature(produced_report, tmp_path):
    tampered = flip_byte_in_first_revision(read(produced_report))

    report = verify_pdf(tampered)

    assert not report.ok
    # The first revision is inside every signature's byte range, so none of them holds.
    assert [s.intact for s in report.signatures] == [False] * 4
    path = tmp_path / "tampered.pdf"
    path.write_bytes(tampered)
    with pytest.raises(CommandError) as exc:
        call_command("verify_record", str(path))
    assert exc.value.returncode == 1
    assert str(exc.value) == "4 of 4 signatures are not valid."


def test_a_change_appended_after_the_last_signature_is_reported(produced_report):
    report = verify_pdf(append_drawing(read(produced_report)))

    assert not report.ok
    assert report.changed_after_last_signature
    assert all(s.intact and s.trusted for s in report.signatures)
    assert [s.changes_after for s in report.signatures] == [OTHER] * 4


def test_a_certificate_from_another_ca_is_intact_but_untrusted(platform_pki, report_data):
    rogue_ca = pki.generate_ca("冒充的CA", key_bits=2048)
    rendered = render("evaluation_report", report_data, anchor=LedgerAnchor(1, "0" * 64))
    experts = [pki.issue_certificate(rogue_ca, e.name, key_bits=2048) for e in report_data.experts]
    seal = pki.issue_certificate(rogue_ca, pki.SEAL_NAME, key_bits=2048)

    report = verify_pdf(signing.sign_record(rendered.pdf, signing.plan(rendered, experts, seal)))

    assert [(s.intact, s.trusted, s.ok) for s in report.signatures] == [(True, False, False)] * 4
    assert {s.problem for s in report.signatures} == {"NO_CERTIFICATE_CHAIN_FOUND"}
    # The same signatures are trusted by whoever trusts that CA.
    assert verify_pdf(signing.sign_record(rendered.pdf, signing.plan(rendered, experts, seal)),
                      extra_roots=[rogue_ca.certificate]).ok


def test_a_pdf_without_signatures_does_not_pass(platform_pki, report_data, tmp_path):
    rendered = render("evaluation_report", report_data, anchor=LedgerAnchor(1, "0" * 64))
    path = tmp_path / "unsigned.pdf"
    path.write_bytes(rendered.pdf)

    assert verify_pdf(rendered.pdf).signatures == ()
    with pytest.raises(CommandError, match="This PDF carries no signature."):
        call_command("verify_record", str(path))


def test_a_slot_naming_one_expert_refuses_another_experts_certificate(platform_pki, report_data):
    rendered = render("evaluation_report", report_data, anchor=LedgerAnchor(1, "0" * 64))
    ca = pki.platform_ca()
    wrong = [pki.issue_certificate(ca, name, key_bits=2048) for name in ("甲", "乙", "丙")]

    with pytest.raises(signing.SigningError) as exc:
        signing.plan(rendered, wrong, pki.platform_seal())
    assert exc.value.code == "signer_mismatch"


@pytest.mark.asyncio
async def test_the_async_variants_sign_and_verify_inside_a_running_event_loop(session_pki_dir, report_data):
    rendered = render("evaluation_report", report_data, anchor=LedgerAnchor(1, "0" * 64))
    ca = pki.platform_ca(session_pki_dir)
    experts = [pki.issue_certificate(ca, e.name, key_bits=2048) for e in report_data.experts]
    steps = signing.plan(rendered, experts, pki.platform_seal(session_pki_dir))

    pdf = await signing.async_sign_record(rendered.pdf, steps)
    report = await async_verify_pdf(pdf, extra_roots=[ca.certificate])

    assert [s.ok for s in report.signatures] == [True] * 4
