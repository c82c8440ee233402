"""docs/sealed-bid-negative-vectors.json: what every reader must refuse, and with which code (docs §8.1).

The browser runs the same vectors in test_browser_interop.py.
"""

import base64
import hashlib
import io
import json

import pytest

from sealedbid import envelope, keys
from tests.sealing.conftest import ROOT, seal_bytes
from tools.make_vectors import python_outcomes

NEGATIVE = ROOT / "docs" / "sealed-bid-negative-vectors.json"


@pytest.fixture(scope="module")
def negative():
    return json.loads(NEGATIVE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def vector_keys(vectors):
    bidder = keys.load_key_file(json.dumps(vectors["keys"]["bidder_key_file"]).encode())
    opening = keys.RSA.import_key(base64.b64decode(vectors["keys"]["opening_private_key_pkcs8"]))
    return bidder, opening


def test_every_negative_envelope_gives_its_code_in_python(negative, vector_keys):
    bidder, opening = vector_keys
    assert len(negative["envelopes"]) == 31
    for vector in negative["envelopes"]:
        got = python_outcomes(base64.b64decode(vector["envelope"]), bidder, opening)
        assert got == vector["expect"], vector["name"]
        assert set(got.values()) != {"ok"}, vector["name"]


def test_every_negative_key_file_gives_its_code_in_python(negative):
    assert len(negative["key_files"]) == 20
    for vector in negative["key_files"]:
        with pytest.raises(keys.KeyFileError) as caught:
            keys.load_key_file(vector["key_file"].encode(), vector["passphrase"], kind=vector["kind"])
        assert caught.value.code == vector["expect"], vector["name"]


def test_the_negative_vectors_cover_every_code_of_the_format(negative):
    envelope_codes = {code for v in negative["envelopes"] for code in v["expect"].values()} - {"ok"}
    assert envelope_codes == {
        "bad_magic", "bad_header", "bad_wrapped_key", "bad_size", "wrong_signing_key", "wrong_tender",
        "wrong_opening_key", "bad_signature", "wrong_key", "corrupt_chunk", "truncated", "bad_manifest",
    }
    assert {v["expect"] for v in negative["key_files"]} == {
        "bad_key_file", "wrong_key_kind", "passphrase_required", "wrong_passphrase",
    }


def test_a_compressed_point_signing_key_is_a_bad_header_even_with_its_own_fingerprint(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, [("a.txt", b"x")])
    header = json.loads(data[17 : 17 + int.from_bytes(data[13:17], "big")])
    compressed = bidder.signing.public_key().export_key(format="DER", compress=True)
    for carried in (
        compressed,
        keys.public_pem(bidder.signing).encode(),  # base64 of PEM
        bidder.signing.export_key(format="DER"),  # a PKCS#8 private key
    ):
        forged = {**header, "bidder_signing_key": keys.b64(carried),
                  "bidder_signing_key_fingerprint": hashlib.sha256(carried).hexdigest()}
        with pytest.raises(envelope.EnvelopeError) as caught:
            envelope.parse_header(envelope.canonical_json(forged))
        assert caught.value.code == "bad_header"


def test_the_fingerprint_is_of_the_carried_bytes(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, [("a.txt", b"x")])
    header = envelope.inspect(io.BytesIO(data)).header
    assert header["bidder_signing_key_fingerprint"] == hashlib.sha256(
        base64.b64decode(header["bidder_signing_key"])).hexdigest()


def test_tender_id_length_counts_utf8_bytes(bidder, opening_key):
    # 66 CJK characters are 198 bytes (allowed), 67 are 201 (refused), although both are under 200 characters.
    assert envelope.inspect(io.BytesIO(seal_bytes(bidder, opening_key, [], tender_id="标" * 66))).header
    with pytest.raises(ValueError, match="1 to 200 bytes of UTF-8"):
        seal_bytes(bidder, opening_key, [], tender_id="标" * 67)
    # An astral character is 4 bytes: 50 of them are exactly 200.
    seal_bytes(bidder, opening_key, [], tender_id="\U0001f600" * 50)


def test_a_key_file_names_its_kind_when_refused(bidder, custodians):
    custodian_file = keys.dump_key_file(custodians[0], "口令")
    with pytest.raises(keys.KeyFileError) as caught:
        keys.load_key_file(custodian_file, None, kind="bidder")  # refused before any passphrase is asked
    assert (caught.value.code, caught.value.kind) == ("wrong_key_kind", "custodian")
    with pytest.raises(keys.KeyFileError) as caught:
        keys.load_key_file(keys.dump_key_file(bidder, "口令"), "错误", kind="bidder")
    assert (caught.value.code, caught.value.kind) == ("wrong_passphrase", "bidder")
    assert isinstance(keys.load_key_file(custodian_file, "口令", kind="custodian"), keys.CustodianKeys)
