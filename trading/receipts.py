"""Bid receipts signed by the platform seal (RSA-PSS-SHA256 over the receipt's canonical JSON).

Anyone can check one with the seal certificate, which chains to the platform CA."""

import base64

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ledger.canonical import canonical_json

RECEIPT_FORMAT = "bid-receipt/1"
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def sign_receipt(receipt: dict, private_key) -> tuple[str, str]:
    """Returns (canonical JSON text, base64 signature)."""
    body = canonical_json(receipt)
    signature = private_key.sign(body, PSS, hashes.SHA256())
    return body.decode(), base64.b64encode(signature).decode()


def verify_receipt(receipt_text: str, signature_b64: str, seal_certificate_pem: bytes, ca_certificate_pem=None) -> dict:
    """Raises ValueError unless the signature is the seal's (and the seal is issued by the CA, if given)."""
    seal = x509.load_pem_x509_certificate(seal_certificate_pem)
    if ca_certificate_pem is not None:
        ca = x509.load_pem_x509_certificate(ca_certificate_pem)
        try:
            seal.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise ValueError("the seal certificate is not issued by this CA") from exc
    try:
        seal.public_key().verify(base64.b64decode(signature_b64, validate=True), receipt_text.encode(), PSS,
                                 hashes.SHA256())
    except (InvalidSignature, ValueError) as exc:
        raise ValueError("the receipt signature does not verify") from exc
    import json

    receipt = json.loads(receipt_text)
    if receipt.get("format") != RECEIPT_FORMAT:
        raise ValueError("not a bid receipt")
    return receipt
