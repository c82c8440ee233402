"""The sealed-bid/1 envelope: round trips, bounded memory, every tampering, and the published vectors."""

import base64
import hashlib
import io
import json
import os
import tracemalloc

import pytest
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import DSS

from ledger.canonical import canonical_json
from sealedbid import envelope, keys
from sealedbid.envelope import EnvelopeError
from tests.sealing.conftest import LETTER, open_bytes, seal_bytes
from tools.make_vectors import Drbg

FILES = [("技术标.pdf", os.urandom(3000)), ("empty.txt", b""), ("报价.xlsx", os.urandom(1500))]


def prefix_size(data: bytes) -> int:
    return len(envelope.MAGIC) + 4 + int.from_bytes(data[13:17], "big")


def header_of(data: bytes) -> dict:
    return json.loads(data[17 : prefix_size(data)])


def with_header(data: bytes, header: dict) -> bytes:
    """The same chunks and signature behind another (canonical) header."""
    header_bytes = canonical_json(header)
    return envelope.MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + data[prefix_size(data) :]


def records(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each chunk record."""
    header, at, out = header_of(data), prefix_size(data), []
    for index in range(header["chunk_count"]):
        size = min(header["chunk_size"], header["plaintext_size"] - index * header["chunk_size"]) + 16
        out.append((at, size))
        at += size
    return out


def check(data, key, **kwargs):
    return envelope.check_structure(io.BytesIO(data), key, **kwargs)


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call(*args, **kwargs)
    return caught.value.code


class Unseekable(io.RawIOBase):
    """A stream that can only be read forward, like an upload or a pipe."""

    def __init__(self, data):
        self._inner = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, b):
        return self._inner.readinto(b)


# --- round trips ----------------------------------------------------------------------------------


def test_it_opens_with_the_opening_key_and_with_the_bidder_key(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, FILES)
    for key, which in ((opening_key, "opening"), (bidder.encryption, "bidder")):
        manifest, contents = open_bytes(data, key, which, expected_signing_public_key=bidder.signing.public_key())
        assert manifest == {
            "bid_letter": LETTER,
            "files": [
                {"media_type": "application/octet-stream", "name": "技术标.pdf", "size": 3000},
                {"media_type": "application/octet-stream", "name": "empty.txt", "size": 0},
                {"media_type": "application/octet-stream", "name": "报价.xlsx", "size": 1500},
            ],
        }
        assert contents == dict(FILES)


def test_check_structure_returns_the_header_size_and_sha256(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, FILES, tender_id="BZ-2025-0007")
    info = check(
        data,
        bidder.signing.public_key(),
        expected_tender_id="BZ-2025-0007",
        expected_opening_fingerprint=keys.fingerprint(opening_key),
    )
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.header == header_of(data)
    assert info.header["tender_id"] == "BZ-2025-0007"
    assert info.header["opening_key_fingerprint"] == keys.fingerprint(opening_key)
    assert info.header["bidder_signing_key_fingerprint"] == keys.fingerprint(bidder.signing)
    assert info.header["bidder_encryption_key_fingerprint"] == keys.fingerprint(bidder.encryption)
    assert info.header["chunk_size"] == 1024
    assert info.header["chunk_count"] == envelope.chunk_count(info.header["plaintext_size"], 1024)
    assert len(base64.b64decode(info.header["opening_wrapped_key"])) == 384
    assert len(base64.b64decode(info.header["bidder_wrapped_key"])) == 384


def test_check_structure_accepts_the_registered_key_as_pem(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, FILES)
    assert check(data, keys.public_pem(bidder.signing)).size == len(data)


def test_seal_returns_what_check_structure_finds(bidder, opening_key):
    out = io.BytesIO()
    sealed = envelope.seal(
        out, bid_letter={}, files=[], tender_id="T", opening_public_key=keys.public_pem(opening_key), bidder=bidder
    )
    assert check(out.getvalue(), bidder.signing) == sealed


def test_inspect_reads_only_the_header(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, FILES)
    stream = io.BytesIO(data)
    info = envelope.inspect(stream)
    assert info.header == header_of(data) and info.size == len(data) and info.sha256 is None
    assert stream.tell() == prefix_size(data)


def test_a_plaintext_of_exactly_whole_chunks(bidder, opening_key):
    letter = {"price_fen": 1}
    manifest_size = len(
        canonical_json(
            {"bid_letter": letter, "files": [{"media_type": "application/octet-stream", "name": "a.bin", "size": 2000}]}
        )
    )
    payload = os.urandom(4 * 1024 - 4 - manifest_size)
    assert len(str(len(payload))) == 4  # the size written in the manifest did not change the manifest's length
    data = seal_bytes(bidder, opening_key, [("a.bin", payload)], letter=letter)
    header = header_of(data)
    assert header["plaintext_size"] == 4 * 1024
    assert header["chunk_count"] == 4
    assert [size for _, size in records(data)] == [1024 + 16] * 4
    assert open_bytes(data, opening_key)[1] == {"a.bin": payload}


def test_a_bid_letter_without_files(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, [], chunk_size=envelope.DEFAULT_CHUNK_SIZE)
    assert header_of(data)["chunk_count"] == 1
    assert open_bytes(data, bidder.encryption, "bidder") == ({"bid_letter": LETTER, "files": []}, {})


def test_default_chunks_of_one_mebibyte(bidder, opening_key):
    payload = os.urandom(2 * 1024 * 1024 + 5)
    data = seal_bytes(bidder, opening_key, [("big.bin", payload)], chunk_size=envelope.DEFAULT_CHUNK_SIZE)
    assert header_of(data)["chunk_count"] == 3
    assert open_bytes(data, opening_key)[1]["big.bin"] == payload


def test_files_can_be_read_in_small_pieces_or_skipped(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, FILES)
    opened = envelope.open_envelope(io.BytesIO(data), opening_key)
    seen = {}
    for entry, stream in opened.files():
        if entry["name"] == "报价.xlsx":
            seen[entry["name"]] = b"".join(iter(lambda s=stream: s.read(7), b""))
        # 技术标.pdf is left unread: files() skips the rest and still authenticates it
    assert seen == {"报价.xlsx": dict(FILES)["报价.xlsx"]}
    assert opened.verified


def test_streams_that_cannot_seek_work_too(bidder, opening_key):
    data = seal_bytes(bidder, opening_key, FILES)
    assert envelope.check_structure(Unseekable(data), bidder.signing).sha256 == hashlib.sha256(data).hexdigest()
    opened = envelope.open_envelope(Unseekable(data), opening_key)
    assert {e["name"]: s.read() for e, s in opened.files()} == dict(FILES)


def test_two_seals_of_the_same_bid_share_no_key_nor_nonce(bidder, opening_key):
    one, two = (header_of(seal_bytes(bidder, opening_key, FILES)) for _ in range(2))
    assert one["opening_wrapped_key"] != two["opening_wrapped_key"]
    assert one["nonce_prefix"] != two["nonce_prefix"]


def test_the_cleartext_leaks_nothing_but_sizes(bidder, opening_key):
    secret_letter = {"price_fen": 987654321, "note": "最低价秘密"}
    files = [("secret-name-技术标.pdf", b"SECRET CONTENT " * 200)]
    data = seal_bytes(bidder, opening_key, files, letter=secret_letter)
    # Needles of 4 bytes or more: random ciphertext held b"pdf" once in a CI run (a 3-byte needle turns up
    # by chance about once in 16M positions).
    for needle in (b"987654321", "最低价秘密".encode(), "secret-name-技术标".encode(), b"SECRET CONTENT", b".pdf"):
        assert needle not in data
    assert set(header_of(data)) == envelope.HEADER_FIELDS


def test_the_signature_covers_the_prefix_and_the_digest_of_chunk_digests(bidder, opening_key):
    # The construction of docs §5, recomputed by hand from the bytes.
    data = seal_bytes(bidder, opening_key, FILES)
    digests = b"".join(hashlib.sha256(data[at : at + size]).digest() for at, size in records(data))
    message = data[: prefix_size(data)] + hashlib.sha256(digests).digest()
    DSS.new(bidder.signing.public_key(), "fips-186-3", encoding="binary").verify(SHA256.new(message), data[-64:])


def test_memory_stays_bounded_for_a_64_mib_bid(bidder, opening_key, tmp_path):
    size = 64 * 1024 * 1024
    source = tmp_path / "big.bin"
    with source.open("wb") as f:
        for _ in range(size // (1 << 20)):
            f.write(os.urandom(1 << 20))
    target = tmp_path / "big.sealed"
    tracemalloc.start()
    try:
        with source.open("rb") as plain, target.open("wb") as out:
            envelope.seal(
                out,
                bid_letter=LETTER,
                files=[envelope.PlainFile("big.bin", plain, size)],
                tender_id="T-1",
                opening_public_key=opening_key.public_key(),
                bidder=bidder,
            )
        sealing_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with target.open("rb") as f:
            envelope.check_structure(f, bidder.signing)
        checking_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        with target.open("rb") as f:
            for _, stream in envelope.open_envelope(f, opening_key).files():
                while piece := stream.read(1 << 20):
                    digest.update(piece)
        opening_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    with source.open("rb") as f:
        assert digest.hexdigest() == hashlib.file_digest(f, "sha256").hexdigest()
    # a few chunk-sized buffers, against 64 MiB of data
    assert max(sealing_peak, checking_peak, opening_peak) < 8 * 1024 * 1024, (sealing_peak, checking_peak, opening_peak)


# --- what seal refuses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "letter", "message"),
    [
        ([("a", b"x"), ("a", b"y")], {}, "appears twice"),
        ([("../a", b"x")], {}, "not allowed"),
        ([("", b"x")], {}, "not allowed"),
        ([("a\nb", b"x")], {}, "not allowed"),
        ([], {"price": 1.5}, "floats"),
        ([], {"price_fen": 2**53}, "2^53"),
    ],
)
def test_seal_refuses_what_the_format_does_not_allow(bidder, opening_key, files, letter, message):
    with pytest.raises((ValueError, TypeError), match=message.replace("^", r"\^")):
        seal_bytes(bidder, opening_key, files, letter=letter)


def test_seal_refuses_a_file_that_is_not_its_announced_size(bidder, opening_key):
    for data, announced in ((b"12345", 6), (b"12345", 4)):
        with pytest.raises(ValueError, match="announced size"):
            envelope.seal(
                io.BytesIO(),
                bid_letter={},
                files=[envelope.PlainFile("a", io.BytesIO(data), announced)],
                tender_id="T",
                opening_public_key=opening_key.public_key(),
                bidder=bidder,
            )


def test_seal_refuses_an_opening_key_that_is_not_rsa_3072(bidder):
    with pytest.raises(ValueError, match="RSA-3072"):
        seal_bytes(bidder, RSA.generate(2048), FILES)


# --- tampering: each gives its own code ------------------------------------------------------------


@pytest.fixture(scope="module")
def sealed(bidder, opening_key):
    return seal_bytes(bidder, opening_key, FILES)


def flip_byte_in_chunk(data):
    at, _ = records(data)[1]
    return data[: at + 5] + bytes([data[at + 5] ^ 1]) + data[at + 6 :]


def swap_chunks(data):
    (a, size), (b, size_b) = records(data)[:2]
    assert size == size_b
    return data[:a] + data[b : b + size] + data[a : a + size] + data[b + size :]


def drop_last_chunk(data):
    at, size = records(data)[-1]
    return data[:at] + data[at + size :]


def change_tender(data):
    return with_header(data, {**header_of(data), "tender_id": "T-2"})


def short_wrapped_key(data):
    return with_header(data, {**header_of(data), "opening_wrapped_key": base64.b64encode(bytes(383)).decode()})


def non_canonical_header(data):
    header_bytes = json.dumps(header_of(data), sort_keys=True).encode()  # with spaces
    return envelope.MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + data[prefix_size(data) :]


def wrong_chunk_count(data):
    return with_header(data, {**header_of(data), "chunk_count": header_of(data)["chunk_count"] + 1})


@pytest.mark.parametrize(
    ("tamper", "structure_code", "opening_code"),
    [
        (flip_byte_in_chunk, "bad_signature", "corrupt_chunk"),
        (swap_chunks, "bad_signature", "corrupt_chunk"),
        (drop_last_chunk, "bad_size", "truncated"),
        (lambda d: d[:-10], "bad_size", "truncated"),
        (lambda d: d[: len(d) // 2], "bad_size", "truncated"),
        (lambda d: d + b"\x00", "bad_size", "bad_size"),
        (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "bad_signature", "bad_signature"),
        (change_tender, "bad_signature", "corrupt_chunk"),
        (short_wrapped_key, "bad_wrapped_key", "bad_wrapped_key"),
        (non_canonical_header, "bad_header", "bad_header"),
        (wrong_chunk_count, "bad_header", "bad_header"),
        (lambda d: b"%PDF-1.7\n" + os.urandom(3000), "bad_magic", "bad_magic"),
        (lambda d: b"", "bad_magic", "bad_magic"),
        (lambda d: d[:15], "bad_size", "truncated"),
    ],
    ids=[
        "flipped byte",
        "swapped chunks",
        "dropped last chunk",
        "truncated",
        "cut in half",
        "appended byte",
        "altered signature",
        "changed header field",
        "short wrapped key",
        "non-canonical header",
        "wrong chunk count",
        "plain file",
        "empty file",
        "only the magic",
    ],
)
def test_tampering_is_detected(sealed, bidder, opening_key, tamper, structure_code, opening_code):
    data = tamper(sealed)
    assert error_code(check, data, bidder.signing) == structure_code
    assert error_code(open_bytes, data, opening_key) == opening_code
    assert error_code(open_bytes, data, bidder.encryption, "bidder") == opening_code


@pytest.mark.parametrize(
    ("tamper", "structure_code", "opening_code"),
    [
        (flip_byte_in_chunk, "bad_signature", "corrupt_chunk"),
        (drop_last_chunk, "bad_size", "truncated"),
        (lambda d: d[:-10], "bad_size", "truncated"),
        (lambda d: d + b"!", "bad_size", "bad_size"),
    ],
    ids=["flipped byte", "dropped last chunk", "truncated", "appended byte"],
)
def test_tampering_is_detected_on_a_stream_that_cannot_seek(
    sealed, bidder, opening_key, tamper, structure_code, opening_code
):
    def open_unseekable(data):
        for _, stream in envelope.open_envelope(Unseekable(data), opening_key).files():
            stream.read()

    assert error_code(envelope.check_structure, Unseekable(tamper(sealed)), bidder.signing) == structure_code
    assert error_code(open_unseekable, tamper(sealed)) == opening_code


def test_an_envelope_signed_by_another_bidder_is_refused(sealed, bidder, other_bidder, opening_key):
    forged = seal_bytes(other_bidder, opening_key, FILES)
    assert error_code(check, forged, bidder.signing) == "wrong_signing_key"
    assert (
        error_code(open_bytes, forged, opening_key, expected_signing_public_key=bidder.signing) == "wrong_signing_key"
    )


def test_an_envelope_claiming_the_bidders_key_but_signed_by_another_is_refused(bidder, other_bidder, opening_key):
    forged = seal_bytes(other_bidder, opening_key, FILES)
    claimed = {
        **header_of(forged),
        "bidder_signing_key": keys.b64(keys.spki_der(bidder.signing)),
        "bidder_signing_key_fingerprint": keys.fingerprint(bidder.signing),
    }
    forged = with_header(forged, claimed)
    assert error_code(check, forged, bidder.signing) == "bad_signature"


def test_a_signing_key_that_does_not_match_its_fingerprint_is_a_bad_header(sealed, other_bidder):
    lying = with_header(
        sealed, {**header_of(sealed), "bidder_signing_key": keys.b64(keys.spki_der(other_bidder.signing))}
    )
    assert error_code(check, lying, other_bidder.signing) == "bad_header"


def test_the_wrong_opening_key_is_refused(sealed, opening_key, other_opening_key, bidder):
    assert error_code(open_bytes, sealed, other_opening_key) == "wrong_key"
    assert error_code(open_bytes, sealed, bidder.encryption, "opening") == "wrong_key"
    assert error_code(open_bytes, sealed, opening_key, "bidder") == "wrong_key"
    assert error_code(open_bytes, sealed, opening_key.public_key()) == "wrong_key"


def test_a_wrapped_key_that_does_not_decrypt_is_a_wrong_key(sealed, opening_key):
    garbage = with_header(
        sealed, {**header_of(sealed), "opening_wrapped_key": base64.b64encode(os.urandom(384)).decode()}
    )
    assert error_code(open_bytes, garbage, opening_key) == "wrong_key"


def test_expectations_of_the_server_are_checked(sealed, bidder, other_opening_key):
    assert error_code(check, sealed, bidder.signing, expected_tender_id="T-9") == "wrong_tender"
    assert (
        error_code(check, sealed, bidder.signing, expected_opening_fingerprint=keys.fingerprint(other_opening_key))
        == "wrong_opening_key"
    )


def reseal_plaintext(plaintext: bytes, bidder, opening_key, chunk_size=1024) -> bytes:
    """A second implementation of docs §3–§5 from the primitives, to seal any plaintext container."""
    content_key, prefix = os.urandom(32), os.urandom(4)
    count = envelope.chunk_count(len(plaintext), chunk_size)
    header = {
        "bidder_encryption_key_fingerprint": keys.fingerprint(bidder.encryption),
        "bidder_signing_key": keys.b64(keys.spki_der(bidder.signing)),
        "bidder_signing_key_fingerprint": keys.fingerprint(bidder.signing),
        "bidder_wrapped_key": keys.b64(keys.oaep(bidder.encryption.public_key()).encrypt(content_key)),
        "chunk_count": count,
        "chunk_size": chunk_size,
        "format": "sealed-bid/1",
        "nonce_prefix": prefix.hex(),
        "opening_key_fingerprint": keys.fingerprint(opening_key),
        "opening_wrapped_key": keys.b64(keys.oaep(opening_key.public_key()).encrypt(content_key)),
        "plaintext_size": len(plaintext),
        "tender_id": "T-1",
    }
    header_bytes = canonical_json(header)
    body, digests = b"", b""
    for i in range(count):
        cipher = AES.new(content_key, AES.MODE_GCM, nonce=prefix + i.to_bytes(8, "big"))
        cipher.update(hashlib.sha256(header_bytes).digest() + i.to_bytes(8, "big") + bytes([i == count - 1]))
        record = b"".join(cipher.encrypt_and_digest(plaintext[i * chunk_size : (i + 1) * chunk_size]))
        body += record
        digests += hashlib.sha256(record).digest()
    prefix_bytes = b"sealed-bid/1\n" + len(header_bytes).to_bytes(4, "big") + header_bytes
    signer = DSS.new(bidder.signing, "fips-186-3", encoding="binary")
    return prefix_bytes + body + signer.sign(SHA256.new(prefix_bytes + hashlib.sha256(digests).digest()))


def container(manifest: dict, payload: bytes) -> bytes:
    manifest_bytes = canonical_json(manifest)
    return len(manifest_bytes).to_bytes(4, "big") + manifest_bytes + payload


def test_the_format_document_is_enough_to_seal(bidder, opening_key):
    manifest = {"bid_letter": {"price_fen": 5}, "files": [{"media_type": "text/plain", "name": "a.txt", "size": 3}]}
    data = reseal_plaintext(container(manifest, b"abc"), bidder, opening_key)
    assert open_bytes(data, opening_key) == (manifest, {"a.txt": b"abc"})


@pytest.mark.parametrize(
    "plaintext",
    [
        container({"bid_letter": {}, "files": [{"media_type": "text/plain", "name": "a", "size": 4}]}, b"abc"),
        container({"bid_letter": {}, "files": [{"media_type": "text/plain", "name": "a", "size": 2}]}, b"abc"),
        container({"bid_letter": {}, "files": [{"media_type": "text/plain", "name": "/etc/x", "size": 1}]}, b"a"),
        container({"bid_letter": [], "files": []}, b""),
        container({"bid_letter": {}, "files": [], "extra": 1}, b""),
        (100).to_bytes(4, "big") + b"{}",
        (2).to_bytes(4, "big") + b"{}",
        b"\xff\xff\xff\xff" + b"x" * 100,
        len(b'{"bid_letter": {}, "files": []}').to_bytes(4, "big") + b'{"bid_letter": {}, "files": []}',
        len(b'{"bid_letter":{"p":1.5},"files":[]}').to_bytes(4, "big") + b'{"bid_letter":{"p":1.5},"files":[]}',
    ],
    ids=[
        "sizes too large",
        "sizes too small",
        "path in name",
        "letter not object",
        "extra field",
        "manifest past the end",
        "missing fields",
        "huge manifest length",
        "non-canonical manifest",
        "a float",
    ],
)
def test_a_bad_manifest_is_refused(bidder, opening_key, plaintext):
    data = reseal_plaintext(plaintext, bidder, opening_key)
    assert check(data, bidder.signing).size == len(data)  # the structure is fine: only the inside is wrong
    assert error_code(open_bytes, data, opening_key) == "bad_manifest"


# --- the published test vectors (docs/sealed-bid-vectors.json) ---------------------------------------


def vector_keys(vectors):
    bidder = keys.load_key_file(json.dumps(vectors["keys"]["bidder_key_file"]).encode())
    opening = RSA.import_key(base64.b64decode(vectors["keys"]["opening_private_key_pkcs8"]))
    return bidder, opening


def test_the_vectors_open_and_check(vectors):
    bidder, opening = vector_keys(vectors)
    assert keys.fingerprint(opening) == vectors["keys"]["opening_key_fingerprint"]
    assert keys.public_pem(opening) == vectors["keys"]["opening_public_key_pem"]
    for vector in vectors["vectors"]:
        data = base64.b64decode(vector["envelope"])
        info = check(data, bidder.signing, expected_tender_id=vector["input"]["tender_id"])
        assert info.sha256 == vector["envelope_sha256"] and info.size == vector["envelope_size"] == len(data)
        assert info.header_bytes.decode() == vector["header"]
        expected = {f["name"]: base64.b64decode(f["data"]) for f in vector["input"]["files"]}
        for key, which in ((opening, "opening"), (bidder.encryption, "bidder")):
            manifest, contents = open_bytes(data, key, which)
            assert manifest["bid_letter"] == vector["input"]["bid_letter"]
            assert contents == expected


def test_the_vector_intermediates_match_the_bytes(vectors):
    for vector in vectors["vectors"]:
        data = base64.b64decode(vector["envelope"])
        header_bytes = vector["header"].encode()
        assert hashlib.sha256(header_bytes).hexdigest() == vector["header_sha256"]
        key = bytes.fromhex(vector["content_key"])
        plaintext, digests = b"", b""
        for (at, size), chunk in zip(records(data), vector["chunks"], strict=True):
            record = data[at : at + size]
            assert size == chunk["record_size"] and hashlib.sha256(record).hexdigest() == chunk["record_sha256"]
            cipher = AES.new(key, AES.MODE_GCM, nonce=bytes.fromhex(chunk["nonce"]))
            cipher.update(bytes.fromhex(chunk["aad"]))
            plaintext += cipher.decrypt_and_verify(record[:-16], record[-16:])
            digests += hashlib.sha256(record).digest()
        assert plaintext == base64.b64decode(vector["plaintext"])
        assert hashlib.sha256(digests).hexdigest() == vector["chunks_digest"]
        assert data[: prefix_size(data)] + bytes.fromhex(vector["chunks_digest"]) == bytes.fromhex(
            vector["signed_message"]
        )
        assert data[-64:].hex() == vector["signature"]


def test_sealing_the_vector_inputs_again_gives_the_same_bytes(vectors):
    bidder, opening = vector_keys(vectors)
    for vector in vectors["vectors"]:
        given = vector["input"]
        out = io.BytesIO()
        envelope.seal(
            out,
            bid_letter=given["bid_letter"],
            files=[
                envelope.PlainFile(
                    f["name"],
                    io.BytesIO(base64.b64decode(f["data"])),
                    len(base64.b64decode(f["data"])),
                    f["media_type"],
                )
                for f in given["files"]
            ],
            tender_id=given["tender_id"],
            opening_public_key=opening.public_key(),
            bidder=bidder,
            chunk_size=given["chunk_size"],
            randfunc=Drbg(vector["seed"]),
        )
        assert out.getvalue() == base64.b64decode(vector["envelope"])


def test_the_protected_vector_key_file_opens_with_its_passphrase(vectors):
    data = json.dumps(vectors["keys"]["bidder_key_file_protected"]).encode()
    protected = keys.load_key_file(data, vectors["keys"]["passphrase"])
    plain = keys.load_key_file(json.dumps(vectors["keys"]["bidder_key_file"]).encode())
    assert keys.spki_der(protected.signing) == keys.spki_der(plain.signing)
    assert protected.encryption.export_key(format="DER") == plain.encryption.export_key(format="DER")
