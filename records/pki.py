"""The platform's own PKI: a root CA, the platform seal, and signer certificates for people.

The root CA and the seal live as files in PKI_DIR; signer certificates live in the database.
Every private key is stored as PKCS#8 encrypted under PKI_PASSPHRASE and decrypted only in memory
when it signs. Keys never reach the ledger, logs or command output: the ledger gets fingerprints.
"""

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError
from accounts.models import Role
from accounts.permissions import has_role
from ledger import chain

PLATFORM = "巴中市公共资源交易平台"
CA_NAME = f"{PLATFORM} 根证书"
SEAL_NAME = f"{PLATFORM} 电子签章"
PLATFORM_KEY_BITS = 3072
CA_YEARS, SEAL_YEARS, SIGNER_YEARS = 20, 10, 5
FILES = {"ca_cert": "ca.pem", "ca_key": "ca.key", "seal_cert": "seal.pem", "seal_key": "seal.key"}
# A certificate this close to expiry is replaced before it signs, so no record carries one
# that lapses days later.
RENEW_BEFORE = datetime.timedelta(days=30)


class PkiError(DomainError):
    pass


@dataclass(frozen=True)
class SigningIdentity:
    """A certificate and its (decrypted, in-memory) private key, with the chain up to the root."""

    name: str
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    chain: tuple = ()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else certificate.subject.rfc4514_string()


def _name(cn, organization=PLATFORM, serial=None):
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)]
    if serial:
        # People share names: the serial number attribute keeps two 张伟 apart.
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _key_usage(*, sign_certs=False, sign_documents=False):
    return x509.KeyUsage(
        digital_signature=sign_documents, content_commitment=sign_documents, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=sign_certs, crl_sign=sign_certs,
        encipher_only=False, decipher_only=False,
    )


def generate_ca(cn=CA_NAME, *, key_bits=PLATFORM_KEY_BITS, years=CA_YEARS) -> SigningIdentity:
    """A self-signed root, in memory."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
    now = timezone.now()
    name = _name(cn)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign_certs=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(cn, cert, key, ())


def new_key(bits):
    """A new RSA private key, made by OpenSSL (the test suite hands out pooled ones: tests/factories.py)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def issue_certificate(ca: SigningIdentity, cn, *, organization=PLATFORM, serial=None,
                      key_bits=PLATFORM_KEY_BITS, years=SIGNER_YEARS) -> SigningIdentity:
    """A document-signing certificate issued by `ca`, in memory. Key usage includes
    non-repudiation, which PAdES validators (pyHanko among them) require of a signer."""
    key = new_key(key_bits)
    now = timezone.now()
    not_after = min(now + datetime.timedelta(days=365 * years), ca.certificate.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, organization or PLATFORM, serial)).issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign_documents=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()), critical=False)
        .sign(ca.private_key, hashes.SHA256())
    )
    return SigningIdentity(cn, cert, key, (ca.certificate,))


# --- Keys at rest -------------------------------------------------------------------------

def _passphrase() -> bytes:
    passphrase = settings.PKI_PASSPHRASE
    if not passphrase:
        raise PkiError("pki_passphrase_missing", _("PKI_PASSPHRASE is not set: private keys cannot be stored."))
    return passphrase.encode("utf-8")


def encrypt_key(key) -> bytes:
    """PKCS#8 PEM, encrypted with the best scheme `cryptography` offers, under PKI_PASSPHRASE."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )


def decrypt_key(pem: bytes, certificate):
    """The private key of `certificate`, stored encrypted by `encrypt_key`.

    OpenSSL's consistency check of an RSA private key (primality of its factors) costs 0.1-0.5 s per load,
    and every signature by a user's certificate loads its key: the check is skipped for these keys, which
    the platform made itself. What it guarded against is caught otherwise: the key must be the one its
    certificate names (a key swapped or damaged at rest is refused here), and OpenSSL checks each CRT
    signature it makes before returning it (a damaged factor never leaks into a signature)."""
    try:
        key = serialization.load_pem_private_key(pem, password=_passphrase(), unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError):
        raise PkiError("pki_passphrase_wrong",
                       _("A private key of the platform PKI cannot be decrypted: is PKI_PASSPHRASE right?")) from None
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():
        raise PkiError("pki_key_mismatch",
                       _("A private key of the platform PKI is not the key of its certificate: it was changed."))
    return key


def cert_pem(certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


# --- The platform authority (files in PKI_DIR) --------------------------------------------

def _not_initialized():
    return PkiError("pki_not_initialized", _("The platform PKI is not initialized: run “manage.py init_pki”."))


def pki_dir() -> Path:
    return Path(settings.PKI_DIR)


def _paths(directory=None):
    directory = Path(directory or pki_dir())
    return {key: directory / name for key, name in FILES.items()}


def is_initialized(directory=None) -> bool:
    return all(path.is_file() for path in _paths(directory).values())


def _write_exclusive(path: Path, data: bytes, mode: int):
    # O_EXCL: of two concurrent init_pki runs exactly one creates each file; the other fails
    # instead of silently replacing a CA whose certificates are already out in signed records.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def write_authority(ca: SigningIdentity, seal: SigningIdentity, directory=None):
    """Store the root and the seal in `directory` (default PKI_DIR). Refuses to overwrite."""
    paths = _paths(directory)
    paths["ca_key"].parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    try:
        for key, data, mode in (
            ("ca_key", encrypt_key(ca.private_key), 0o600), ("ca_cert", cert_pem(ca.certificate), 0o644),
            ("seal_key", encrypt_key(seal.private_key), 0o600), ("seal_cert", cert_pem(seal.certificate), 0o644),
        ):
            _write_exclusive(paths[key], data, mode)
            written.append(paths[key])
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def create_authority(directory=None) -> tuple:
    """Generate the root CA and the seal certificate and store them; no ledger entry (see init_pki)."""
    ca = generate_ca()
    seal = issue_certificate(ca, SEAL_NAME, years=SEAL_YEARS)
    write_authority(ca, seal, directory)
    return ca, seal


def _load(cert_key, key_key, directory=None) -> SigningIdentity:
    paths = _paths(directory)
    if not (paths[cert_key].is_file() and paths[key_key].is_file()):
        raise _not_initialized()
    certificate = x509.load_pem_x509_certificate(paths[cert_key].read_bytes())
    return SigningIdentity(common_name(certificate), certificate, decrypt_key(paths[key_key].read_bytes(), certificate))


def platform_ca(directory=None) -> SigningIdentity:
    return _load("ca_cert", "ca_key", directory)


def platform_seal(directory=None) -> SigningIdentity:
    seal = _load("seal_cert", "seal_key", directory)
    ca_cert = x509.load_pem_x509_certificate(_paths(directory)["ca_cert"].read_bytes())
    return SigningIdentity(seal.name, seal.certificate, seal.private_key, (ca_cert,))


_SEAL_CACHE = {}


def cached_platform_seal() -> SigningIdentity:
    """The platform seal, decrypted once per process (about 0.1 s a time: hot paths such as bid receipts
    must not pay it, nor hold locks while paying it). Reloaded when the key file changes."""
    path = _paths()["seal_key"]
    key = (str(path), path.stat().st_mtime_ns, settings.PKI_PASSPHRASE)
    if key not in _SEAL_CACHE:
        _SEAL_CACHE.clear()
        _SEAL_CACHE[key] = platform_seal()
    return _SEAL_CACHE[key]


def platform_certificates(directory=None) -> tuple:
    """(root CA certificate, seal certificate), for publishing; reads no private key."""
    paths = _paths(directory)
    if not (paths["ca_cert"].is_file() and paths["seal_cert"].is_file()):
        raise _not_initialized()
    return tuple(x509.load_pem_x509_certificate(paths[k].read_bytes()) for k in ("ca_cert", "seal_cert"))


def trust_roots(directory=None) -> list:
    """The certificates a record must chain to; empty before init_pki (so nothing is trusted)."""
    path = _paths(directory)["ca_cert"]
    return [x509.load_pem_x509_certificate(path.read_bytes())] if path.is_file() else []


@dataclass(frozen=True)
class InitResult:
    created: bool
    ca_fingerprint: str
    seal_fingerprint: str
    directory: Path


def init_pki(*, actor=None) -> InitResult:
    """Create the platform root CA and seal once; later calls keep them and say so (created=False)."""
    directory = pki_dir()
    if is_initialized(directory):
        ca, seal = platform_ca(directory), platform_seal(directory)  # also proves the passphrase is right
        return InitResult(False, ca.fingerprint, seal.fingerprint, directory)
    if any(path.exists() for path in _paths(directory).values()):
        raise PkiError("pki_incomplete",
                       _("PKI_DIR holds part of a PKI only. Restore the missing files; nothing was changed."))
    ca = generate_ca()
    seal = issue_certificate(ca, SEAL_NAME, years=SEAL_YEARS)
    with transaction.atomic():
        chain.append("pki.initialized", actor=actor, payload={
            "ca": {"subject": ca.name, "sha256": ca.fingerprint},
            "seal": {"subject": seal.name, "sha256": seal.fingerprint},
        })
        # Written inside the transaction: if another process won the race, the exclusive create
        # fails here and the ledger entry rolls back with it.
        write_authority(ca, seal, directory)
    return InitResult(True, ca.fingerprint, seal.fingerprint, directory)


# --- Signer certificates for people (database) --------------------------------------------

def display_name(user) -> str:
    return (user.full_name or user.get_username()).strip()


def _may_sign(user) -> bool:
    return has_role(user, Role.EXPERT) or has_role(user, Role.STAFF)


def _identity_from_row(row, ca_cert) -> SigningIdentity:
    certificate = x509.load_pem_x509_certificate(row.certificate_pem.encode("ascii"))
    return SigningIdentity(row.subject, certificate, decrypt_key(row.key_pem.encode("ascii"), certificate),
                           (ca_cert,))


def signer_for(user, *, actor=None) -> SigningIdentity:
    """The user's signing certificate, issued by the platform CA the first time they need to sign
    (or when theirs is about to expire, or their name changed). Only experts and staff sign."""
    from accounts.models import User

    from .models import SignerCertificate

    if not _may_sign(user):
        raise PkiError("not_a_signer", _("Only evaluation experts and trading center staff can sign records."))
    name = display_name(user)
    roots = trust_roots()
    if not roots:
        raise _not_initialized()
    ca_cert = roots[0]

    def current():
        row = (SignerCertificate.objects.filter(user=user, subject=name, ca_sha256=fingerprint(ca_cert),
                                                not_after__gt=timezone.now() + RENEW_BEFORE)
               .order_by("-not_after").first())
        return _identity_from_row(row, ca_cert) if row else None

    identity = current()
    if identity is not None:
        return identity
    # Only issuing needs the CA's private key. Key generation takes a while: before any lock.
    ca = platform_ca()
    organization = user.organization.name if user.organization_id else PLATFORM
    issued = issue_certificate(ca, name, organization=organization, serial=f"BZ-U{user.pk}",
                               key_bits=getattr(settings, "RECORDS_SIGNER_KEY_BITS", PLATFORM_KEY_BITS))
    with transaction.atomic():
        # Lock the user: two first signatures at once must not issue two certificates.
        User.objects.select_for_update().filter(pk=user.pk).first()
        identity = current()
        if identity is not None:
            return identity
        cert = issued.certificate
        SignerCertificate.objects.create(
            user=user, subject=name, serial=format(cert.serial_number, "x"), sha256=issued.fingerprint,
            ca_sha256=ca.fingerprint, certificate_pem=cert_pem(cert).decode("ascii"),
            key_pem=encrypt_key(issued.private_key).decode("ascii"),
            not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        )
        chain.append("pki.certificate_issued", actor=actor, payload={
            "user": user.pk, "subject": name, "serial": format(cert.serial_number, "x"),
            "sha256": issued.fingerprint, "not_after": cert.not_valid_after_utc.isoformat(),
        })
    return issued
