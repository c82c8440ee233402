"""The signed receipt file: written after submit, checked by verify-receipt (the seal's PSS signature
with pycryptodome; the certificate chain with `cryptography`, imported only there)."""

import datetime
import hashlib
import json
import ssl
from pathlib import Path

from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pss
from Crypto.Signature.pss import MGF1

from sealedbid import keys

from .. import logcheck
from .common import HASH_BLOCK, CliError, say, write_json_atomically


class ReceiptInvalid(CliError):
    prefix = "RECEIPT NOT VALID: "


RECEIPT_FIELDS = {"receipt_no", "tender", "bidder", "envelope_sha256", "size", "received_at"}
RECEIPT_FILE_FORMAT = "bid-receipt-file/1"


def receipt_path(envelope_path: Path) -> Path:
    """ENVELOPE.receipt.json, or ENVELOPE.receipt-2.json…: a receipt is evidence, never overwritten."""
    path, n = envelope_path.with_name(envelope_path.name + ".receipt.json"), 1
    while path.exists():
        n += 1
        path = envelope_path.with_name(f"{envelope_path.name}.receipt-{n}.json")
    return path


def save_receipt(platform, envelope_path: Path, bid: dict) -> tuple[dict, Path]:
    """The receipt file of a bid the platform accepted: its signed receipt with the seal and CA
    certificates, written beside the envelope. Returns (its content, its path)."""
    certificates = platform.call("GET", "/api/pki/certificates/")
    doc = {
        "format": RECEIPT_FILE_FORMAT,
        "server": platform.server,
        "bid": bid["id"],
        "receipt": bid["receipt"],
        "receipt_signature": bid["receipt_signature"],
        "seal_certificate": certificates["seal"],
        "ca_certificate": certificates["ca"],
    }
    path = receipt_path(envelope_path)
    write_json_atomically(path, doc)
    return doc, path


def _pem_fingerprint(pem: str) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def _check_chain(seal_pem: str, ca_pem: str, at: datetime.datetime):
    """The seal certificate is issued by the CA and both were valid at `at`.

    pycryptodome reads the key out of a certificate but cannot check a certificate's issuer and
    signature, so this part uses `cryptography` (imported here: the other commands do without it).
    """
    try:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
    except ImportError as exc:
        raise ReceiptInvalid(
            "checking the seal certificate's issuer needs the `cryptography` package (pip install cryptography)"
        ) from exc
    try:
        seal = x509.load_pem_x509_certificate(seal_pem.encode())
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
    except ValueError as exc:
        raise ReceiptInvalid(f"unreadable certificate: {exc}") from exc
    try:
        is_ca = ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ReceiptInvalid("the CA certificate is not a certification authority's")
    try:
        seal.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise ReceiptInvalid("the seal certificate is not issued by this CA") from exc
    for name, cert in (("seal", seal), ("CA", ca)):
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            raise ReceiptInvalid(f"the {name} certificate was not valid when the receipt was issued ({at})")


def verify_receipt_doc(doc: dict, *, ca_pem: str | None = None, envelope_path: Path | None = None) -> dict:
    """Check a receipt file's signature, the seal's chain to the CA (`ca_pem`, else the file's own CA),
    and with `envelope_path` that the file is the envelope the receipt names. Returns the receipt;
    raises ReceiptInvalid with the reason."""
    try:
        text, signature = doc["receipt"], keys.unb64(doc["receipt_signature"])
        seal_pem = doc["seal_certificate"]
        key = RSA.import_key(seal_pem)  # the public key inside the X.509 certificate
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ReceiptInvalid(f"not a receipt file: {exc}") from exc
    verifier = pss.new(key, mask_func=lambda seed, length: MGF1(seed, length, SHA256), salt_bytes=32)
    try:
        verifier.verify(SHA256.new(text.encode("utf-8")), signature)
    except (ValueError, TypeError) as exc:
        raise ReceiptInvalid(
            "the receipt's signature does not verify with the seal certificate: the receipt "
            "was altered or is not the platform's"
        ) from exc
    receipt = json.loads(text)
    if not isinstance(receipt, dict) or receipt.get("format") != "bid-receipt/1":
        raise ReceiptInvalid("the signed text is not a bid receipt")
    missing = RECEIPT_FIELDS - set(receipt)
    if missing:
        raise ReceiptInvalid(f"the receipt lacks {', '.join(sorted(missing))}")
    say(
        f"signature OK: receipt {receipt['receipt_no']} signed by the platform seal "
        f"(certificate SHA-256 {_pem_fingerprint(seal_pem)})"
    )
    own_ca = ca_pem is None
    ca_pem = ca_pem if ca_pem is not None else doc.get("ca_certificate")
    if not ca_pem:
        raise ReceiptInvalid("no CA certificate: give --ca")
    at = datetime.datetime.fromisoformat(receipt["received_at"])
    _check_chain(seal_pem, ca_pem, at)
    where = "from the receipt file: compare it with the one the platform publishes" if own_ca else "given"
    say(f"chain OK: the seal certificate is issued by the CA (SHA-256 {_pem_fingerprint(ca_pem)}, {where})")
    if envelope_path is not None:
        digest, size = hashlib.sha256(), 0
        with envelope_path.open("rb") as f:
            while block := f.read(HASH_BLOCK):
                digest.update(block)
                size += len(block)
        if (digest.hexdigest(), size) != (receipt["envelope_sha256"], receipt["size"]):
            raise ReceiptInvalid(
                f"{envelope_path} is not the envelope of this receipt: SHA-256 {digest.hexdigest()}"
                f" and {size} bytes, the receipt says {receipt['envelope_sha256']} and "
                f"{receipt['size']} bytes"
            )
        say(f"envelope OK: {envelope_path.name} has the SHA-256 and size on the receipt")
    return receipt


def verify_inclusion_doc(receipt: dict, seal_pem: str, proof: dict) -> int:
    """Check a proof saved from GET /api/bids/<id>/inclusion/: its tree head is signed by the seal that
    signed the receipt, its leaf is the receipt's log entry (ledger_seq, and the commitment or the
    receipt number it holds) and the audit path leads from the leaf to the head's root. Returns the head's
    size; raises ReceiptInvalid with the reason."""
    try:
        head, leaf_text, path = proof["sth"], proof["leaf"], proof["inclusion"]
        size, root = logcheck.read_head(head)
        logcheck.check_signature(head, seal_pem.encode("ascii"))
        entry = json.loads(leaf_text)
        seq = logcheck.whole(entry.get("seq"), "the leaf's seq")
        hashes = [logcheck.hex_hash(h, "an audit path hash") for h in path]
    except (KeyError, TypeError, ValueError, AttributeError, logcheck.Unusable) as exc:
        raise ReceiptInvalid(f"not an inclusion proof of this platform: {exc}") from exc
    except logcheck.Failed as exc:
        raise ReceiptInvalid(f"the tree head: {exc}") from exc
    if seq != receipt.get("ledger_seq") or proof.get("seq") != seq:
        raise ReceiptInvalid(f"the proof is for log entry {seq}, the receipt names entry {receipt.get('ledger_seq')}")
    payload = entry.get("payload") if isinstance(entry.get("payload"), dict) else {}
    if receipt.get("ledger_commitment"):
        mine = payload.get("commitment") == receipt["ledger_commitment"]
    else:
        mine = payload.get("receipt_no") == receipt["receipt_no"]
    if not mine or logcheck.canonical(entry) != leaf_text.encode("utf-8"):
        raise ReceiptInvalid(f"log entry {seq} in the proof is not the entry of this receipt")
    try:
        reached = logcheck.root_from_inclusion(logcheck.sha256(b"\x00" + leaf_text.encode("utf-8")), seq - 1, size,
                                               hashes)
    except logcheck.Failed as exc:
        raise ReceiptInvalid(f"the audit path: {exc}") from exc
    if reached != root:
        raise ReceiptInvalid(f"log entry {seq} is not in the signed tree head of {size} entries: the log was "
                             "rewritten or forked")
    say(f"inclusion OK: log entry {seq} of this receipt is in the signed tree head of {size} entries "
        f"(root {root.hex()}, signed by the seal)")
    return size


def cmd_verify_receipt(args):
    try:
        doc = json.loads(args.receipt.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise ReceiptInvalid(f"{args.receipt}: not a receipt file ({exc})") from exc
    ca_pem = args.ca.read_text(encoding="ascii") if args.ca else None
    receipt = verify_receipt_doc(doc, ca_pem=ca_pem, envelope_path=args.envelope)
    if getattr(args, "inclusion", None):
        try:
            proof = json.loads(args.inclusion.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ReceiptInvalid(f"{args.inclusion}: not an inclusion proof ({exc})") from exc
        verify_inclusion_doc(receipt, doc["seal_certificate"], proof if isinstance(proof, dict) else {})
    say(
        f"RECEIPT VALID: {receipt['receipt_no']}, tender {receipt['tender']}, {receipt['bidder']}, "
        f"received {receipt['received_at']}"
    )

