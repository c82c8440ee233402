"""Key pairs and key files of bidders and key custodians (docs/sealed-bid-format.md §6).

A key file is JSON read and written identically here and in static/js/sealing.js, so a key made in
the browser works in the CLI and the other way round. Private keys are PKCS#8 DER, public keys
SubjectPublicKeyInfo (SPKI) DER, both base64. With a passphrase the private part is encrypted with
AES-256-GCM under PBKDF2-HMAC-SHA256 (WebCrypto has both, so the browser can read it too).
"""

import base64
import binascii
import hashlib
import json
import unicodedata
from dataclasses import dataclass

from Crypto.Cipher import AES, PKCS1_OAEP
from Crypto.Hash import SHA256
from Crypto.IO import PKCS8
from Crypto.Protocol.KDF import PBKDF2
from Crypto.PublicKey import ECC, RSA
from Crypto.Random import get_random_bytes

from .canonical import canonical_json

KEY_FILE_FORMAT = "sealed-bid-key/1"
RSA_BITS = 3072
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256; a key file is opened a handful of times, so slow is fine.
MIN_ITERATIONS = 600_000
MAX_SAFE_INTEGER = (1 << 53) - 1  # a browser reads larger numbers inexactly


KEY_KINDS = ("bidder", "custodian")
SALT_SIZE = 16
FILE_NONCE_SIZE = 12


class KeyFileError(Exception):
    """A key file that cannot be used. `code` is stable (docs §8): bad_key_file, wrong_key_kind,
    passphrase_required, wrong_passphrase. `kind` is the kind of key file it is, when it says so."""

    def __init__(self, code, message, kind=None):
        super().__init__(message)
        self.code = code
        self.kind = kind


@dataclass(frozen=True)
class BidderKeys:
    signing: ECC.EccKey  # ECDSA P-256 private key: signs envelopes
    encryption: RSA.RsaKey  # RSA-OAEP-3072 private key: the bidder's own copy of each content key

    kind = "bidder"


@dataclass(frozen=True)
class CustodianKeys:
    encryption: RSA.RsaKey  # RSA-OAEP-3072 private key: receives one Shamir share per tender

    kind = "custodian"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text) -> bytes:
    """Strict base64: padding required, no white space, one spelling per value."""
    if not isinstance(text, str):
        raise ValueError("expected a base64 string")
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("invalid base64") from exc
    if b64(data) != text:
        raise ValueError("non-canonical base64")
    return data


def spki_der(key) -> bytes:
    """SubjectPublicKeyInfo DER of the public half of an RSA or EC key (private or public)."""
    return key.public_key().export_key(format="DER")


def fingerprint(key) -> str:
    """SHA-256 of the SPKI DER, lowercase hex. Accepts a key object, PEM text or SPKI DER bytes."""
    if isinstance(key, str | bytes):
        key = load_public_key(key)
    return hashlib.sha256(spki_der(key)).hexdigest()


def public_pem(key) -> str:
    pem = key.public_key().export_key(format="PEM")
    return pem.decode("ascii") if isinstance(pem, bytes) else pem  # RSA gives bytes, ECC gives str


def load_public_key(pem_or_der):
    """An RSA or P-256 public key from PEM text or SPKI DER."""
    if isinstance(pem_or_der, str):
        pem_or_der = pem_or_der.encode("ascii")
    try:
        return RSA.import_key(pem_or_der)
    except (ValueError, IndexError, TypeError):
        pass
    try:
        return ECC.import_key(pem_or_der)
    except (ValueError, IndexError, TypeError) as exc:
        raise ValueError("not an RSA or EC public key (PEM or SPKI DER)") from exc


def exact_spki(der: bytes, check):
    """The public key whose SPKI DER is exactly `der` (docs §2): the one encoding the fingerprint hashes.

    Import alone is lenient (PEM, a compressed EC point, even a private key all load), so the key is
    exported again and must give back the very same bytes. `check` is check_rsa_key or check_p256_key.
    """
    try:
        key = check(load_public_key(der))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not the SPKI DER of the expected key: {exc}") from None
    if key.has_private() or spki_der(key) != der:
        raise ValueError("not exactly the SPKI DER encoding of docs §2 (uncompressed point, no private key)")
    return key


def _pkcs8_der(der: bytes) -> bytes:
    """Refuse what is not PKCS#8 PrivateKeyInfo DER (PEM, PKCS#1, SEC1), which the importers would also take."""
    try:
        PKCS8.unwrap(der)
    except (ValueError, IndexError, TypeError) as exc:
        raise ValueError("a private key is not PKCS#8 DER") from exc
    return der


def check_rsa_key(key, *, exact_bits=RSA_BITS):
    """RSA keys of the envelope are 3072-bit (so every wrapped key is 384 bytes); e = 65537 as WebCrypto uses."""
    if not isinstance(key, RSA.RsaKey) or key.size_in_bits() != exact_bits or key.e != 65537:
        raise ValueError(f"expected an RSA-{exact_bits} key with e = 65537")
    return key


def check_p256_key(key):
    if not isinstance(key, ECC.EccKey) or key.curve != "NIST P-256":
        raise ValueError("expected an ECDSA P-256 key")
    return key


def oaep(key, randfunc=None):
    """RSA-OAEP with SHA-256 and MGF1-SHA-256, empty label: WebCrypto's RSA-OAEP with hash SHA-256."""
    return PKCS1_OAEP.new(key, hashAlgo=SHA256, randfunc=randfunc or get_random_bytes)


def generate_bidder_keys(randfunc=None) -> BidderKeys:
    return BidderKeys(
        signing=ECC.generate(curve="P-256", randfunc=randfunc or get_random_bytes),
        encryption=RSA.generate(RSA_BITS, randfunc=randfunc),
    )


def generate_custodian_keys(randfunc=None) -> CustodianKeys:
    return CustodianKeys(encryption=RSA.generate(RSA_BITS, randfunc=randfunc))


def _parts(keys):
    if isinstance(keys, BidderKeys):
        return {"encryption": keys.encryption, "signing": keys.signing}
    if isinstance(keys, CustodianKeys):
        return {"encryption": keys.encryption}
    raise TypeError("expected BidderKeys or CustodianKeys")


def _pkcs8(key) -> bytes:
    if isinstance(key, RSA.RsaKey):
        return key.export_key(format="DER", pkcs=8)
    return key.export_key(format="DER")  # EC: PKCS#8 is pycryptodome's default


def _file_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    # NFC so that the same passphrase typed on two systems gives the same bytes (the JS does the same).
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return PBKDF2(secret, salt, 32, count=iterations, hmac_hash_module=SHA256)


def dump_key_file(keys, passphrase: str | None = None, *, iterations=MIN_ITERATIONS, randfunc=None) -> bytes:
    """The key file as UTF-8 JSON bytes. With a passphrase, the private part is encrypted."""
    randfunc = randfunc or get_random_bytes
    parts = _parts(keys)
    doc = {
        "format": KEY_FILE_FORMAT,
        "kind": keys.kind,
        "public": {name: b64(spki_der(key)) for name, key in parts.items()},
    }
    private = {name: b64(_pkcs8(key)) for name, key in parts.items()}
    if passphrase is None:
        doc["private"] = private
    else:
        if iterations < MIN_ITERATIONS:
            raise ValueError(f"at least {MIN_ITERATIONS} PBKDF2 iterations")
        salt, nonce = randfunc(16), randfunc(12)
        cipher = AES.new(_file_key(passphrase, salt, iterations), AES.MODE_GCM, nonce=nonce)
        cipher.update(canonical_json(doc))  # binds the public keys and the kind to the private part
        ciphertext, tag = cipher.encrypt_and_digest(canonical_json(private))
        doc["protected"] = {
            "cipher": "AES-256-GCM",
            "ciphertext": b64(ciphertext + tag),
            "iterations": iterations,
            "kdf": "PBKDF2-HMAC-SHA256",
            "nonce": b64(nonce),
            "salt": b64(salt),
        }
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")


def is_protected(data: bytes) -> bool:
    try:
        return "protected" in json.loads(data)
    except (ValueError, TypeError):
        return False


def _bad(message):
    return KeyFileError("bad_key_file", message)


def key_file_kind(data: bytes) -> str | None:
    """The `kind` a key file declares ("bidder" or "custodian"), or None: to name it in a message."""
    try:
        doc = json.loads(data)
    except (ValueError, TypeError):
        return None
    if isinstance(doc, dict) and doc.get("format") == KEY_FILE_FORMAT and doc.get("kind") in KEY_KINDS:
        return doc["kind"]
    return None


def load_key_file(data: bytes, passphrase: str | None = None, *, kind: str | None = None):
    """BidderKeys or CustodianKeys from key file bytes; checks that each private key matches its public key.

    With `kind`, a key file of the other kind is refused (wrong_key_kind) before any passphrase is
    needed. The checks run in the order of docs §8.1, so every reader names the same first fault.
    """
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("format") != KEY_FILE_FORMAT or doc.get("kind") not in KEY_KINDS:
            raise _bad("not a sealed-bid key file")
        declared = doc["kind"]
        if kind is not None and declared != kind:
            raise KeyFileError("wrong_key_kind", f"this is a {declared} key file, not a {kind} key file", declared)
        names = {"bidder": {"encryption", "signing"}, "custodian": {"encryption"}}[declared]
        public = doc.get("public")
        if not isinstance(public, dict) or set(public) != names:
            raise _bad("the public keys do not match the kind of key file")
        checks = {"encryption": check_rsa_key, "signing": check_p256_key}
        for name in sorted(names):
            exact_spki(unb64(public[name]), checks[name])
        if "private" in doc:
            private = doc["private"]
        elif "protected" in doc:
            private = _decrypt_private(doc, passphrase)
        else:
            raise _bad("no private keys in the key file")
        if not isinstance(private, dict) or set(private) != names:
            raise _bad("the private keys do not match the kind of key file")
        parts = {"encryption": check_rsa_key(RSA.import_key(_pkcs8_der(unb64(private["encryption"]))))}
        if declared == "bidder":
            parts["signing"] = check_p256_key(ECC.import_key(_pkcs8_der(unb64(private["signing"]))))
        for name, key in parts.items():
            if not key.has_private():
                raise _bad(f"the {name} key is not a private key")
            if spki_der(key) != unb64(public[name]):
                raise _bad(f"the {name} private key does not belong to the public key in the file")
    except KeyFileError as exc:
        exc.kind = exc.kind or key_file_kind(data)
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise KeyFileError("bad_key_file", f"unreadable key file: {exc}", key_file_kind(data)) from exc
    if declared == "bidder":
        return BidderKeys(signing=parts["signing"], encryption=parts["encryption"])
    return CustodianKeys(encryption=parts["encryption"])


def _decrypt_private(doc, passphrase):
    protected = doc["protected"]
    if not isinstance(protected, dict):
        raise _bad("unsupported key file protection")
    if protected.get("kdf") != "PBKDF2-HMAC-SHA256" or protected.get("cipher") != "AES-256-GCM":
        raise _bad("unsupported key file protection")
    iterations = protected.get("iterations")
    if type(iterations) is not int or not MIN_ITERATIONS <= iterations <= MAX_SAFE_INTEGER:
        raise _bad(f"key file protection needs at least {MIN_ITERATIONS} iterations")
    salt, nonce, sealed = (unb64(protected.get(f)) for f in ("salt", "nonce", "ciphertext"))
    if len(salt) != SALT_SIZE or len(nonce) != FILE_NONCE_SIZE or len(sealed) < 16:
        raise _bad(f"the salt is {SALT_SIZE} bytes, the nonce {FILE_NONCE_SIZE}, the ciphertext at least the tag")
    if passphrase is None:
        raise KeyFileError("passphrase_required", "this key file is protected by a passphrase")
    cipher = AES.new(_file_key(passphrase, salt, iterations), AES.MODE_GCM, nonce=nonce)
    # docs §6: the associated data is {format, kind, public}, whatever other members the file has.
    cipher.update(canonical_json({"format": doc["format"], "kind": doc["kind"], "public": doc["public"]}))
    try:
        plain = cipher.decrypt_and_verify(sealed[:-16], sealed[-16:])
    except ValueError as exc:
        raise KeyFileError("wrong_passphrase", "wrong passphrase (or a damaged key file)") from exc
    return json.loads(plain)
