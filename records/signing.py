"""PAdES signatures on rendered records, one incremental update per signer (pyHanko).

Sub-filter ETSI.CAdES.detached (PAdES baseline B-B; B-T when RECORDS_TSA_URL names a
timestamping authority). Each signature gets a visible stamp naming the signer in Chinese, in the
slot the layout reserved for it. The async functions are the real ones; the sync wrappers call
asyncio.run() and so must never be called from a thread that runs an event loop.
"""

import asyncio
import io
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from accounts.errors import DomainError

from . import fonts
from .pki import SigningIdentity
from .render.base import beijing

STAMP_TEXT = "%(name)s\n签署时间 %(when)s\n证书 %(cert)s"
STAMP_LABELS = "签署时间证书…"
SEAL_RED, SIGNER_BLUE = (0.78, 0.08, 0.08), (0.05, 0.2, 0.5)
# Room for the CMS container (RSA-3072 signature, signer and CA certificates: ~3.5 KB; a timestamp
# token adds ~5 KB). A fixed size spares pyHanko a trial signature to measure it.
RESERVED_BYTES, RESERVED_BYTES_WITH_TSA = 10_240, 24_576


class SigningError(DomainError):
    pass


@dataclass(frozen=True)
class SignatureStep:
    slot: object  # render.base.Slot, with its page and box filled in by the layout
    identity: SigningIdentity


def plan(rendered, people: list, seal: SigningIdentity | None) -> list:
    """Pair the rendered slots with signers, in order: every person's slot, then the seal.
    A slot that names a person only takes that person's certificate."""
    slots = rendered.signer_slots
    if len(people) != len(slots):
        raise SigningError("signer_count", _("This record needs %(n)d signers, %(m)d were given.")
                           % {"n": len(slots), "m": len(people)})
    steps = []
    for slot, identity in zip(slots, people, strict=True):
        if slot.name and slot.name != identity.name:
            raise SigningError("signer_mismatch", _("The slot for %(slot)s cannot be signed by %(signer)s.")
                               % {"slot": slot.name, "signer": identity.name})
        steps.append(SignatureStep(slot, identity))
    for slot in rendered.seal_slots:
        if seal is None:
            raise SigningError("seal_missing", _("This record must carry the platform seal."))
        steps.append(SignatureStep(slot, seal))
    return steps


class _SubsetFontFactory(FontEngineFactory):
    """pyHanko's GlyphAccumulatorFactory reads a font file; this one reads bytes in memory (the
    small per-document subset from records.fonts)."""

    def __init__(self, font_bytes, font_size):
        self.font_bytes, self.font_size = font_bytes, font_size

    def create_font_engine(self, writer, obj_stream=None):
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(self.font_bytes), font_size=self.font_size,
                                obj_stream=obj_stream)


class _LoadedKeySigner(signers.SimpleSigner):
    """SimpleSigner re-parses its private key from DER for every raw signature, and parsing checks
    the RSA key (slow: ~50 ms for RSA-3072). Our key is already a `cryptography` object."""

    def __init__(self, *args, private_key, **kwargs):
        super().__init__(*args, **kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        return self._private_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


def _pyhanko_signer(identity: SigningIdentity):
    der = serialization.Encoding.DER
    # The key goes to pyHanko decrypted, in memory only, for the length of one signature.
    key_der = identity.private_key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption())
    return _LoadedKeySigner(
        signing_cert=asn1_x509.Certificate.load(identity.certificate.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(der)) for c in identity.chain]),
        private_key=identity.private_key,
    )


def _timestamper():
    url = getattr(settings, "RECORDS_TSA_URL", "")
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=10)


def _stamp_params(identity):
    return {"name": identity.name, "when": beijing(timezone.now()), "cert": identity.fingerprint[:16]}


async def async_sign_record(pdf: bytes, steps: list) -> bytes:
    """Apply `steps` in order, each as its own incremental update; returns the signed PDF."""
    names = "".join(step.identity.name for step in steps)
    font_bytes = fonts.stamp_font_bytes(names + STAMP_LABELS + "0123456789abcdef-: ")
    timestamper = _timestamper()
    reserved = RESERVED_BYTES_WITH_TSA if timestamper else RESERVED_BYTES
    for step in steps:
        slot, identity = step.slot, step.identity
        style = TextStampStyle(
            stamp_text=STAMP_TEXT,
            text_box_style=TextBoxStyle(font=_SubsetFontFactory(font_bytes, 8), font_size=8, leading=11,
                                        text_color=SEAL_RED if slot.seal else SIGNER_BLUE),
            border_width=2, border_color=SEAL_RED if slot.seal else SIGNER_BLUE,
        )
        meta = signers.PdfSignatureMetadata(
            field_name=slot.field, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            name=identity.name, reason=slot.reason or None, location="巴中市",
        )
        signer = signers.PdfSigner(
            meta, _pyhanko_signer(identity), timestamper=timestamper, stamp_style=style,
            new_field_spec=fields.SigFieldSpec(slot.field, on_page=slot.page, box=slot.box),
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        out = await signer.async_sign_pdf(writer, bytes_reserved=reserved,
                                          appearance_text_params=_stamp_params(identity))
        pdf = out.getvalue()
    return pdf


def sign_record(pdf: bytes, steps: list) -> bytes:
    """Sync form of async_sign_record, for code outside any event loop (views run in threads,
    management commands, tasks)."""
    return asyncio.run(async_sign_record(pdf, steps))
