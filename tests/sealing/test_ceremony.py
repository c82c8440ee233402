"""The opening-key ceremony: k-of-n recovery, clear errors, and nothing secret in the stored record."""

import base64
import itertools
import json

import pytest
from Crypto.PublicKey import RSA

from sealedbid import ceremony, keys
from sealedbid.ceremony import InsufficientShares, WrongShares

TENDER = "BZ-2025-GC-0042"


@pytest.fixture(scope="module")
def record(custodians):
    return ceremony.create_opening_key([keys.public_pem(c.encryption) for c in custodians], 3, TENDER)


@pytest.fixture(scope="module")
def shares(record, custodians):
    return [
        ceremony.decrypt_share(s.encrypted_share, c.encryption) for s, c in zip(record.shares, custodians, strict=True)
    ]


def test_the_record_describes_a_3_of_5_rsa_3072_opening_key(record, custodians):
    public = RSA.import_key(record.public_key_pem)
    assert public.size_in_bits() == 3072 and not public.has_private()
    assert record.fingerprint == keys.fingerprint(public)
    assert record.threshold == 3 and record.tender_ref == TENDER
    assert [s.index for s in record.shares] == [1, 2, 3, 4, 5]
    assert [s.custodian_key_fingerprint for s in record.shares] == [keys.fingerprint(c.encryption) for c in custodians]
    assert all(len(s.encrypted_share) == 384 for s in record.shares)


def test_each_share_decrypts_for_its_custodian_and_matches_its_hash(record, shares):
    for stored, share in zip(record.shares, shares, strict=True):
        assert len(share) == 33 and share[0] == stored.index
        assert ceremony.share_hash(share) == stored.share_hash
        assert ceremony.check_share(record, share) == stored.index


def test_any_3_of_5_shares_rebuild_the_opening_key(record, shares):
    for chosen in itertools.combinations(shares, 3):
        key = ceremony.recover_opening_key(record, list(chosen))
        assert key.has_private() and keys.fingerprint(key) == record.fingerprint


def test_more_shares_than_needed_also_work_in_any_order(record, shares):
    assert keys.fingerprint(ceremony.recover_opening_key(record, shares[::-1])) == record.fingerprint
    assert keys.fingerprint(ceremony.recover_opening_key(record, shares[1:])) == record.fingerprint


def test_the_stored_record_as_json_is_enough_to_recover(record, shares):
    stored = json.loads(json.dumps(record.to_dict()))
    assert ceremony.OpeningKeyCeremony.from_dict(stored) == record
    assert keys.fingerprint(ceremony.recover_opening_key(stored, shares[2:])) == record.fingerprint


def test_two_shares_are_not_enough_and_say_so(record, shares):
    for chosen in itertools.combinations(shares, 2):
        with pytest.raises(InsufficientShares, match="2 distinct shares given, 3 needed") as caught:
            ceremony.recover_opening_key(record, list(chosen))
        assert caught.value.code == "insufficient_shares"


def test_the_same_share_twice_counts_once(record, shares):
    with pytest.raises(InsufficientShares):
        ceremony.recover_opening_key(record, [shares[0], shares[0], shares[1]])


def test_a_tampered_share_is_refused(record, shares):
    tampered = shares[1][:10] + bytes([shares[1][10] ^ 1]) + shares[1][11:]
    with pytest.raises(WrongShares, match="share 2 does not match its hash") as caught:
        ceremony.recover_opening_key(record, [shares[0], tampered, shares[2]])
    assert caught.value.code == "wrong_shares"
    with pytest.raises(WrongShares):
        ceremony.check_share(record, tampered)
    with pytest.raises(WrongShares, match="33 bytes"):
        ceremony.check_share(record, shares[0][:32])


def test_a_wrong_key_from_shamir_is_caught_by_the_authenticated_encryption(record, shares):
    # Someone with the database lowers the threshold to 2: hashes pass, Shamir.combine silently returns
    # a wrong K, and AES-GCM must turn that into a clear error rather than a wrong key.
    lowered = {**record.to_dict(), "threshold": 2}
    with pytest.raises(WrongShares, match="do not rebuild"):
        ceremony.recover_opening_key(lowered, shares[:2])
    # Or rewrites the stored hash of a forged share.
    forged = bytes([3]) + bytes(32)
    data = record.to_dict()
    data["shares"][2]["share_hash"] = ceremony.share_hash(forged)
    with pytest.raises(WrongShares, match="do not rebuild"):
        ceremony.recover_opening_key(data, [shares[0], shares[1], forged])


def test_a_record_moved_to_another_tender_does_not_open(record, shares):
    with pytest.raises(WrongShares):
        ceremony.recover_opening_key({**record.to_dict(), "tender_ref": "BZ-2025-GC-0043"}, shares[:3])


def test_a_share_decrypts_only_for_its_custodian(record, custodians):
    with pytest.raises(WrongShares) as caught:
        ceremony.decrypt_share(record.shares[0].encrypted_share, custodians[1].encryption)
    assert caught.value.code == "wrong_shares"


def test_the_public_record_holds_no_secret(record, shares):
    serialized = json.dumps(record.to_dict()).encode()
    private_key = ceremony.recover_opening_key(record, shares[:3])
    secrets = [
        private_key.export_key(format="DER", pkcs=8),
        private_key.export_key(format="DER"),
        private_key.d.to_bytes(384, "big"),
        private_key.p.to_bytes(192, "big"),
        *shares,
    ]
    for secret in secrets:
        for spelling in (secret, secret.hex().encode(), base64.b64encode(secret), base64.b64encode(secret[1:])):
            assert spelling not in serialized
        assert secret[1:33] not in serialized
    assert b"PRIVATE" not in serialized
    assert set(record.to_dict()) == {
        "encrypted_private_key",
        "fingerprint",
        "format",
        "public_key_pem",
        "shares",
        "tender_ref",
        "threshold",
    }
    assert all(
        set(s) == {"custodian_key_fingerprint", "encrypted_share", "index", "share_hash"}
        for s in record.to_dict()["shares"]
    )


@pytest.mark.parametrize(("threshold", "count"), [(1, 3), (0, 3), (4, 3), (2, 1)])
def test_threshold_rules(custodians, threshold, count):
    with pytest.raises(ValueError, match="threshold"):
        ceremony.create_opening_key([keys.public_pem(c.encryption) for c in custodians[:count]], threshold, TENDER)


def test_at_most_255_custodians(custodians):
    with pytest.raises(ValueError, match="255"):
        ceremony.create_opening_key([custodians[0].encryption.public_key()] * 256, 3, TENDER)


def test_custodian_keys_must_be_distinct_and_strong(custodians):
    with pytest.raises(ValueError, match="twice"):
        ceremony.create_opening_key([custodians[0].encryption.public_key()] * 3, 2, TENDER)
    weak = RSA.generate(2048).public_key()
    with pytest.raises(ValueError, match="3072"):
        ceremony.create_opening_key([custodians[0].encryption.public_key(), weak], 2, TENDER)


def test_the_vector_ceremony_recovers_the_vector_opening_key(vectors):
    data = vectors["ceremony"]
    shares = [base64.b64decode(s) for s in data["plain_shares"]]
    custodians = [keys.load_key_file(json.dumps(f).encode()) for f in data["custodian_key_files"]]
    record = ceremony.OpeningKeyCeremony.from_dict(data["record"])
    for stored, custodian, share in zip(record.shares, custodians, shares, strict=True):
        assert ceremony.decrypt_share(stored.encrypted_share, custodian.encryption) == share
    expected = base64.b64decode(vectors["keys"]["opening_private_key_pkcs8"])
    for chosen in itertools.combinations(shares, 2):
        assert ceremony.recover_opening_key(record, list(chosen)).export_key(format="DER", pkcs=8) == expected


def test_a_key_made_by_openssl_is_taken_as_pycryptodome_would_import_it():
    from Crypto.Cipher import PKCS1_OAEP
    from Crypto.PublicKey import RSA
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    made = rsa.generate_private_key(public_exponent=65537, key_size=ceremony.RSA_BITS)
    key = ceremony.from_openssl(made)
    der = made.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    assert key == RSA.import_key(der) and key.has_private() and key.size_in_bits() == ceremony.RSA_BITS
    sealed = PKCS1_OAEP.new(key.public_key()).encrypt(b"K" * 32)
    assert PKCS1_OAEP.new(key).decrypt(sealed) == b"K" * 32
