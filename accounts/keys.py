"""Checking public keys that users register (pycryptodome)."""

import base64
import hashlib

from Crypto.PublicKey import ECC, RSA
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

MIN_RSA_BITS = 3072


def fingerprint(spki_der):
    return hashlib.sha256(spki_der).hexdigest()


def check_public_key(purpose, pem):
    """Returns (normalized SPKI PEM, fingerprint) or raises DomainError(invalid_key)."""
    pem = (pem or "").strip()
    if not pem or len(pem) > 10_000 or "PRIVATE" in pem:
        raise DomainError("invalid_key", _("Paste a public key in PEM format (never a private key)."), field="pem")
    try:
        if purpose == "bid_signing":
            key = ECC.import_key(pem)
            if key.has_private() or key.curve not in ("NIST P-256", "p256", "P-256", "prime256v1", "secp256r1"):
                raise ValueError("not a P-256 public key")
            der = key.export_key(format="DER")
        else:
            key = RSA.import_key(pem)
            if key.has_private() or key.size_in_bits() < MIN_RSA_BITS:
                raise ValueError("RSA public key too short")
            der = key.export_key(format="DER")
    except (ValueError, IndexError, TypeError):
        message = (_("A signing key must be an ECDSA P-256 public key.") if purpose == "bid_signing"
                   else _("An encryption key must be an RSA public key of at least 3072 bits."))
        raise DomainError("invalid_key", message, field="pem") from None
    b64 = base64.b64encode(der).decode()
    lines = "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{lines}\n-----END PUBLIC KEY-----\n", fingerprint(der)
