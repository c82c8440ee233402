import io
import json

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command

from ledger.models import Entry
from records import pki
from records.models import SignerCertificate

ENCRYPTED = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


def run_init_pki():
    out = io.StringIO()
    call_command("init_pki", stdout=out)
    return out.getvalue()


def test_init_pki_creates_the_ca_and_seal_with_keys_encrypted_at_rest(db, settings, tmp_path):
    settings.PKI_DIR = tmp_path / "pki"

    output = run_init_pki()

    files = {p.name: p.read_bytes() for p in settings.PKI_DIR.iterdir()}
    assert sorted(files) == ["ca.key", "ca.pem", "seal.key", "seal.pem"]
    assert files["ca.key"].startswith(ENCRYPTED) and files["seal.key"].startswith(ENCRYPTED)
    assert not any(b"BEGIN PRIVATE KEY" in data or b"BEGIN RSA PRIVATE KEY" in data for data in files.values())
    assert (settings.PKI_DIR / "ca.key").stat().st_mode & 0o077 == 0
    ca = x509.load_pem_x509_certificate(files["ca.pem"])
    seal = x509.load_pem_x509_certificate(files["seal.pem"])
    assert pki.common_name(ca) == "巴中市公共资源交易平台 根证书"
    assert pki.common_name(seal) == "巴中市公共资源交易平台 电子签章"
    assert seal.issuer == ca.subject
    assert ca.public_key().key_size == 3072 and seal.public_key().key_size == 3072
    entry = Entry.objects.get(action="pki.initialized")
    assert json.loads(entry.payload) == {
        "ca": {"subject": "巴中市公共资源交易平台 根证书", "sha256": pki.fingerprint(ca)},
        "seal": {"subject": "巴中市公共资源交易平台 电子签章", "sha256": pki.fingerprint(seal)},
    }
    assert "Created the platform PKI" in output
    assert pki.fingerprint(ca) in output and "PRIVATE" not in output


def test_a_second_init_pki_keeps_the_existing_ca_and_says_so(db, settings, session_pki_dir):
    settings.PKI_DIR = session_pki_dir
    before = {p.name: p.read_bytes() for p in session_pki_dir.iterdir()}

    output = run_init_pki()

    assert "already exists" in output and "keeping it" in output
    assert {p.name: p.read_bytes() for p in session_pki_dir.iterdir()} == before
    assert not Entry.objects.filter(action="pki.initialized").exists()


def test_init_pki_refuses_a_wrong_passphrase_without_touching_anything(db, settings, session_pki_dir):
    settings.PKI_DIR = session_pki_dir
    settings.PKI_PASSPHRASE = "not the passphrase"

    with pytest.raises(CommandError, match="cannot be decrypted"):
        run_init_pki()


def test_init_pki_refuses_a_half_present_pki(db, settings, tmp_path, session_pki_dir):
    settings.PKI_DIR = tmp_path
    (tmp_path / "ca.pem").write_bytes((session_pki_dir / "ca.pem").read_bytes())

    with pytest.raises(CommandError, match="part of a PKI"):
        run_init_pki()
    assert [p.name for p in tmp_path.iterdir()] == ["ca.pem"]


def test_signer_for_issues_a_certificate_once_with_the_chinese_name(platform_pki, make_expert):
    expert = make_expert("欧阳明远")

    first = pki.signer_for(expert)
    again = pki.signer_for(expert)

    assert again.fingerprint == first.fingerprint
    assert pki.common_name(first.certificate) == "欧阳明远"
    assert first.certificate.issuer == pki.platform_ca().certificate.subject
    row = SignerCertificate.objects.get(user=expert)
    assert row.key_pem.encode().startswith(ENCRYPTED)
    entry = Entry.objects.get(action="pki.certificate_issued")
    payload = json.loads(entry.payload)
    assert payload["subject"] == "欧阳明远" and payload["sha256"] == first.fingerprint
    assert "key" not in json.dumps(payload).lower()


def test_signer_for_refuses_a_bidder(platform_pki, make_user):
    bidder = make_user("bidder")

    with pytest.raises(pki.PkiError) as exc:
        pki.signer_for(bidder)
    assert exc.value.code == "not_a_signer"
    assert not SignerCertificate.objects.exists()


def test_the_public_certificates_are_read_without_any_private_key(settings, session_pki_dir, tmp_path):
    settings.PKI_DIR = session_pki_dir
    settings.PKI_PASSPHRASE = "wrong: no key is decrypted"

    ca, seal = pki.platform_certificates()

    assert pki.common_name(ca) == "巴中市公共资源交易平台 根证书" and seal.issuer == ca.subject
    settings.PKI_DIR = tmp_path
    with pytest.raises(pki.PkiError):
        pki.platform_certificates()


def test_a_key_swapped_at_rest_is_refused_before_it_signs(platform_pki, make_expert, settings, tmp_path):
    """Keys are loaded without OpenSSL's slow consistency check (records/pki.py, decrypt_key): each must
    still be the key its certificate names. Another key, encrypted under the same passphrase, is refused."""
    import shutil

    from cryptography.hazmat.primitives.asymmetric import rsa

    settings.PKI_DIR = tmp_path / "pki"
    shutil.copytree(platform_pki, settings.PKI_DIR)
    other = pki.encrypt_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    (settings.PKI_DIR / "seal.key").write_bytes(other)
    with pytest.raises(pki.PkiError) as exc:
        pki.platform_seal()
    assert exc.value.code == "pki_key_mismatch"
    assert pki.platform_ca().certificate.subject  # the CA's own key still loads

    expert = make_expert("欧阳明远")
    pki.signer_for(expert)
    SignerCertificate.objects.filter(user=expert).update(key_pem=other.decode("ascii"))
    with pytest.raises(pki.PkiError) as exc:
        pki.signer_for(expert)
    assert exc.value.code == "pki_key_mismatch"
