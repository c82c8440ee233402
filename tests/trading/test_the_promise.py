"""The promise (docs/architecture.md §5): with a copy of the database, the stored files and the settings, and fewer
than k custodian shares, nobody can read a bid before the opening. The attacker here holds all of it
and tries every key the server has; a control with k shares shows the same attempt could succeed."""

import base64
import hashlib
import io

import pytest
from Crypto.Cipher import AES, PKCS1_OAEP
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage

from sealedbid import ceremony
from sealedbid.envelope import EnvelopeError, open_envelope
from tests.factories import make_custodians, make_tender, make_user
from tests.trading.bidding import bidder_with_keys, submit
from trading import actions
from trading.models import Bid, OpeningKey, TenderCustodian


@pytest.fixture
def sealed(client, platform_pki, regions):
    owner, staff = make_user("tenderer", "511921"), make_user("staff", "511921")
    tender = make_tender(owner, "511921")
    custodians = make_custodians(5)
    actions.set_custodians(actor=staff, tender_id=tender.pk, user_ids=[u.pk for u in custodians], threshold=3)
    actions.submit_tender(actor=owner, tender_id=tender.pk)
    actions.approve_tender(actor=staff, tender_id=tender.pk)
    tender.refresh_from_db()
    bidder = bidder_with_keys()
    bid = submit(client, tender, bidder, price=123_456_78, files=[("报价单.pdf", "绝密报价".encode() * 400)])
    return tender, custodians, Bid.objects.get(pk=bid["id"])


def _database_dump():
    """Every text and binary value of every row of every table: what a stolen database holds."""
    values = []
    for model in apps.get_models():
        for row in model.objects.all().values_list():
            values.extend(v for v in row if isinstance(v, str | bytes | dict | list))
    return values


def _private_keys_in(values):
    """Every RSA private key anywhere in the dump (PEM, base64 DER or nested JSON)."""
    import json

    found = []

    def visit(value):
        if isinstance(value, dict | list):
            for item in (value.values() if isinstance(value, dict) else value):
                visit(item)
            return
        if not isinstance(value, str | bytes):
            return
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        candidates = [text]
        try:
            candidates.append(base64.b64decode(text, validate=True))
        except ValueError:
            pass
        try:
            visit(json.loads(text))
        except (ValueError, TypeError):
            pass
        for candidate in candidates:
            try:
                key = RSA.import_key(candidate)
            except (ValueError, IndexError, TypeError):
                continue
            if key.has_private():
                found.append(key)

    for value in values:
        visit(value)
    return found


def _server_held_keys():
    """The platform's own private keys (CA, seal, signers), decrypted with the settings' passphrase."""
    from cryptography.hazmat.primitives import serialization

    keys = []
    for path in sorted(settings.PKI_DIR.rglob("*")):
        if path.is_file() and b"PRIVATE KEY" in path.read_bytes():
            key = serialization.load_pem_private_key(path.read_bytes(), settings.PKI_PASSPHRASE.encode())
            der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            keys.append(RSA.import_key(der))
    return keys


def _unwrap(key, wrapped):
    try:
        return PKCS1_OAEP.new(key, hashAlgo=SHA256).decrypt(wrapped)
    except ValueError:
        return None


def test_every_key_the_server_holds_fails_to_read_a_bid(sealed):
    tender, custodians, bid = sealed
    envelope = default_storage.open(bid.envelope).read()
    wrapped = base64.b64decode(bid.header["opening_wrapped_key"])
    dump = _database_dump()
    candidates = _server_held_keys() + _private_keys_in(dump)
    assert len(candidates) >= 2  # at least the platform CA and seal: the attack has something to try
    for key in candidates:
        assert _unwrap(key, wrapped) is None
        with pytest.raises(EnvelopeError):
            open_envelope(io.BytesIO(envelope), key, which="opening").finish()
    # The secrets in the settings, used as K for the encrypted opening key, fail too.
    record = tender.opening_key.ceremony
    sealed_key = base64.b64decode(record["encrypted_private_key"])
    for secret in (settings.SECRET_KEY, settings.PKI_PASSPHRASE):
        for k in (hashlib.sha256(secret.encode()).digest(), secret.encode()[:32].ljust(32, b"\0")):
            cipher = AES.new(k, AES.MODE_GCM, nonce=sealed_key[:12])
            with pytest.raises(ValueError):
                cipher.decrypt_and_verify(sealed_key[12:-16], sealed_key[-16:])


def test_fewer_than_k_shares_do_not_rebuild_the_opening_key(sealed):
    tender, custodians, bid = sealed
    record = tender.opening_key.ceremony
    rows = {c.user_id: c for c in TenderCustodian.objects.filter(tender=tender)}
    shares = [ceremony.decrypt_share(base64.b64decode(rows[u.pk].encrypted_share), u.private_key)
              for u in custodians]
    # Two corrupted custodians of a 3-of-5 scheme: refused outright...
    with pytest.raises(ceremony.InsufficientShares):
        ceremony.recover_opening_key(record, shares[:2])
    # ...and forcing Shamir's combine with a guessed third share gives a K that AES-GCM rejects.
    guessed = bytes([shares[2][0]]) + b"\x00" * 32
    with pytest.raises(ceremony.WrongShares):
        ceremony.recover_opening_key(record, shares[:2] + [guessed])
    # Control: three real shares open the bid, so the attempts above could have succeeded.
    key = ceremony.recover_opening_key(record, shares[:3])
    opened = open_envelope(io.BytesIO(default_storage.open(bid.envelope).read()), key, which="opening")
    assert opened.bid_letter["price"] == 123_456_78
    files = [(entry["name"], stream.read()) for entry, stream in opened.files()]
    opened.finish()
    assert files == [("报价单.pdf", "绝密报价".encode() * 400)]


def test_the_server_never_stores_k_a_plain_share_or_the_opening_private_key(sealed):
    tender, custodians, bid = sealed
    rows = {c.user_id: c for c in TenderCustodian.objects.filter(tender=tender)}
    shares = [ceremony.decrypt_share(base64.b64decode(rows[u.pk].encrypted_share), u.private_key)
              for u in custodians]
    key = ceremony.recover_opening_key(tender.opening_key.ceremony, shares[:3])
    secrets = [key.export_key(format="DER", pkcs=8), *shares]
    blob = repr(_database_dump()).encode() + b"".join(
        default_storage.open(name).read() for name in _media_files())
    for secret in secrets:
        assert secret not in blob
        assert base64.b64encode(secret) not in blob
        assert secret.hex().encode() not in blob
    assert all(not c.released_share for c in TenderCustodian.objects.filter(tender=tender))
    assert OpeningKey.objects.get(tender=tender).ceremony["fingerprint"] == tender.opening_key.fingerprint


def _media_files(directory=""):
    dirs, files = default_storage.listdir(directory)
    for name in files:
        yield f"{directory}/{name}".lstrip("/")
    for sub in dirs:
        yield from _media_files(f"{directory}/{sub}".lstrip("/"))
