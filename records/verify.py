"""Checking the signatures of any PDF: who signed, when, whether each signature is intact, what
was added after it, and whether it chains to the platform CA.

A record passes only when it has at least one signature and every one is intact, trusted and
followed by nothing but later signatures.
"""

import asyncio
import hashlib
import io
import logging
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import SignatureCoverageLevel, async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from accounts.errors import DomainError

from . import pki

# pyHanko logs a traceback at WARNING for every signature it cannot chain to a root. Checking
# uploads from anyone, that is an expected answer shown to the user, not a server problem.
logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)

# What later revisions did to a signed one.
NONE, SIGNATURES, ANNOTATIONS, OTHER = "none", "signatures", "annotations", "other"
# How much of the file a signature covers.
DOCUMENT, REVISION, PARTIAL = "document", "revision", "partial"


class NotAPdf(DomainError):
    pass


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str
    signing_time: object  # aware datetime or None
    timestamped: bool  # the time comes from a trusted timestamp, not the signer's own clock
    intact: bool  # the signed bytes are unchanged and the signature is cryptographically sound
    trusted: bool  # the certificate chains to a trusted root (the platform CA)
    coverage: str  # DOCUMENT: the whole file; REVISION: the file as it was, later updates appended
    changes_after: str  # NONE, SIGNATURES (only later signatures), ANNOTATIONS or OTHER
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted and self.coverage != PARTIAL and self.changes_after in (NONE, SIGNATURES)


@dataclass(frozen=True)
class VerificationReport:
    sha256: str
    size: int
    signatures: tuple

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures)

    @property
    def changed_after_last_signature(self) -> bool:
        return bool(self.signatures) and self.signatures[-1].coverage != DOCUMENT


def _asn1(certificate):
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _changes(status) -> str:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return NONE
    level = status.modification_level
    if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING):
        # FORM_FILLING is how pyHanko classes new signature fields and their stamps; records
        # have no other form fields to fill.
        return SIGNATURES
    if level == ModificationLevel.ANNOTATIONS:
        return ANNOTATIONS
    return OTHER


def _coverage(status) -> str:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return DOCUMENT
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        return REVISION
    return PARTIAL


def _common_name(cert) -> str:
    try:
        return cert.subject.native.get("common_name") or cert.subject.human_friendly
    except Exception:  # (a malformed certificate still gets a line in the report)
        return "?"


async def _check(embedded, context) -> SignatureCheck:
    try:
        status = await async_validate_pdf_signature(embedded, context)
    except Exception as exc:  # (untrusted input: any failure means "broken")
        try:
            signer = _common_name(embedded.signer_cert)
        except Exception:
            signer = "?"
        return SignatureCheck(field=embedded.field_name, signer=signer, signing_time=None, timestamped=False,
                              intact=False, trusted=False, coverage=PARTIAL, changes_after=OTHER,
                              problem=str(exc)[:300])
    tst = status.timestamp_validity
    timestamped = tst is not None and tst.intact and tst.valid and tst.trusted
    # e.g. NO_CERTIFICATE_CHAIN_FOUND (another CA) or OUT_OF_BOUNDS_NO_POE (expired certificate)
    problem = status.trust_problem_indic.name if status.trust_problem_indic is not None else ""
    return SignatureCheck(
        field=embedded.field_name, signer=_common_name(status.signing_cert),
        signing_time=tst.timestamp if timestamped else status.signer_reported_dt, timestamped=timestamped,
        intact=bool(status.intact and status.valid), trusted=bool(status.trusted),
        coverage=_coverage(status), changes_after=_changes(status), problem=problem,
    )


def _reader(data: bytes) -> PdfFileReader:
    # The header may sit after a little junk (the PDF spec tolerates up to 1024 bytes).
    if b"%PDF-" not in data[:1024]:
        raise NotAPdf("not_a_pdf", _("This file is not a PDF document."))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.security_handler is not None:
            raise NotAPdf("encrypted_pdf", _("This PDF is encrypted; only unencrypted records can be checked."))
        reader.embedded_signatures  # noqa: B018 (parse the signature dictionaries now, inside the try)
    except NotAPdf:
        raise
    except Exception:  # (untrusted input: any parser failure is "unreadable")
        raise NotAPdf("unreadable_pdf", _("This PDF is damaged and cannot be read.")) from None
    return reader


async def async_verify_pdf(data: bytes, *, extra_roots=()) -> VerificationReport:
    """Check every signature of `data`. Trusts the platform CA plus `extra_roots` (cryptography
    certificates, e.g. the throwaway CA of the sample records). Raises NotAPdf for bad input."""
    reader = _reader(data)
    roots = [_asn1(c) for c in [*pki.trust_roots(), *extra_roots]]
    # No fetching: the platform CA publishes no CRL or OCSP, and verification must work offline.
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    checks = [await _check(embedded, context) for embedded in reader.embedded_regular_signatures]
    return VerificationReport(sha256=hashlib.sha256(data).hexdigest(), size=len(data), signatures=tuple(checks))


def verify_pdf(data: bytes, *, extra_roots=()) -> VerificationReport:
    """Sync form of async_verify_pdf (calls asyncio.run: not from inside an event loop)."""
    return asyncio.run(async_verify_pdf(data, extra_roots=extra_roots))


def describe(check: SignatureCheck) -> dict:
    """The translated words for one signature, shared by the verify page and verify_record."""
    from .render.base import beijing

    if check.signing_time is None:
        when = _("unknown")
    elif check.timestamped:
        when = _("%(time)s (trusted timestamp)") % {"time": beijing(check.signing_time)}
    else:
        when = _("%(time)s (signer’s clock)") % {"time": beijing(check.signing_time)}
    if check.coverage == DOCUMENT:
        scope = _("Covers the whole document")
    elif check.coverage == PARTIAL:
        scope = _("Does not cover its whole revision")
    elif check.changes_after == SIGNATURES:
        scope = _("Covers its revision; only later signatures were added")
    elif check.changes_after == ANNOTATIONS:
        scope = _("Covers its revision; annotations were added after it")
    else:
        scope = _("Covers its revision; the document was changed after it")
    return {
        "field": check.field,
        "signer": check.signer,
        "time": when,
        "intact": _("Intact") if check.intact else _("Broken: the signed content was changed"),
        "scope": scope,
        "trust": _("Issued by the platform CA") if check.trusted else _("Not trusted: not issued by the platform CA"),
        "verdict": _("Valid") if check.ok else _("Invalid"),
        "ok": check.ok,
        "problem": check.problem,
    }


def summary(report: VerificationReport) -> str:
    if not report.signatures:
        return _("This PDF carries no signature.")
    n, bad = len(report.signatures), sum(1 for s in report.signatures if not s.ok)
    if bad:
        return ngettext("%(bad)d of %(n)d signature is not valid.", "%(bad)d of %(n)d signatures are not valid.",
                        n) % {"bad": bad, "n": n}
    return ngettext("The signature is valid.", "All %(n)d signatures are valid.", n) % {"n": n}
