"""Sealing chunks in parallel (threads) writes exactly the bytes of sealing them one by one.

Both sealers draw their randomness from the same deterministic source (tools/make_vectors.Drbg, in the
order of docs §10), so the envelopes must be equal byte for byte, signature included. The reference
here is written from docs/sealed-bid-format.md §3–§5 alone, one chunk after the other.
"""

import base64
import hashlib
import io
import json
import os

import pytest
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import DSS

from sealedbid import envelope, keys
from sealedbid.canonical import canonical_json
from tests.sealing.conftest import LETTER, open_bytes
from tools.make_vectors import Drbg

KIB = 1024
MIB = 1024 * 1024


def reference_seal(files, bidder, opening_key, *, chunk_size, randfunc, letter=LETTER, tender_id="T-1") -> bytes:
    """docs §9.1, one chunk at a time, with the draws of docs §10 in their order."""
    manifest = canonical_json(
        {
            "bid_letter": letter,
            "files": [{"media_type": "application/octet-stream", "name": name, "size": len(data)} for name, data in files],
        }
    )
    plaintext = len(manifest).to_bytes(4, "big") + manifest + b"".join(data for _, data in files)
    content_key, prefix = randfunc(32), randfunc(4)
    opening_wrapped = keys.oaep(opening_key.public_key(), randfunc).encrypt(content_key)
    bidder_wrapped = keys.oaep(bidder.encryption.public_key(), randfunc).encrypt(content_key)
    count = -(-len(plaintext) // chunk_size)
    header_bytes = canonical_json(
        {
            "bidder_encryption_key_fingerprint": keys.fingerprint(bidder.encryption),
            "bidder_signing_key": keys.b64(keys.spki_der(bidder.signing)),
            "bidder_signing_key_fingerprint": keys.fingerprint(bidder.signing),
            "bidder_wrapped_key": keys.b64(bidder_wrapped),
            "chunk_count": count,
            "chunk_size": chunk_size,
            "format": "sealed-bid/1",
            "nonce_prefix": prefix.hex(),
            "opening_key_fingerprint": keys.fingerprint(opening_key),
            "opening_wrapped_key": keys.b64(opening_wrapped),
            "plaintext_size": len(plaintext),
            "tender_id": tender_id,
        }
    )
    head = b"sealed-bid/1\n" + len(header_bytes).to_bytes(4, "big") + header_bytes
    header_sha256 = hashlib.sha256(header_bytes).digest()
    body, digests = [], []
    for i in range(count):
        cipher = AES.new(content_key, AES.MODE_GCM, nonce=prefix + i.to_bytes(8, "big"))
        cipher.update(header_sha256 + i.to_bytes(8, "big") + bytes([i == count - 1]))
        record = b"".join(cipher.encrypt_and_digest(plaintext[i * chunk_size : (i + 1) * chunk_size]))
        body.append(record)
        digests.append(hashlib.sha256(record).digest())
    signer = DSS.new(bidder.signing, "fips-186-3", encoding="binary", randfunc=randfunc)
    signature = signer.sign(SHA256.new(head + hashlib.sha256(b"".join(digests)).digest()))
    return head + b"".join(body) + signature


def seal(files, bidder, opening_key, *, chunk_size, randfunc, workers, letter=LETTER, progress=None) -> bytes:
    out = io.BytesIO()
    info = envelope.seal(
        out,
        bid_letter=letter,
        files=[envelope.PlainFile(name, io.BytesIO(data), len(data)) for name, data in files],
        tender_id="T-1",
        opening_public_key=opening_key.public_key(),
        bidder=bidder,
        chunk_size=chunk_size,
        randfunc=randfunc,
        progress=progress,
        workers=workers,
    )
    data = out.getvalue()
    assert info.size == len(data) and info.sha256 == hashlib.sha256(data).hexdigest()
    return data


def manifest_size(names_and_sizes, letter=LETTER) -> int:
    files = [{"media_type": "application/octet-stream", "name": n, "size": s} for n, s in names_and_sizes]
    return 4 + len(canonical_json({"bid_letter": letter, "files": files}))


def exact_chunks(chunks: int, chunk_size: int) -> list[tuple[str, bytes]]:
    """One file that makes the plaintext exactly `chunks` chunks."""
    guess = chunks * chunk_size - manifest_size([("a.bin", chunks * chunk_size)])
    assert manifest_size([("a.bin", guess)]) + guess == chunks * chunk_size
    return [("a.bin", os.urandom(guess))]


CASES = {
    "an empty file": ([("empty.txt", b"")], KIB),
    "less than one chunk": ([("small.pdf", os.urandom(300))], KIB),
    "an exact multiple of the chunk": (exact_chunks(8, KIB), KIB),
    "many chunks, more jobs than the window holds": ([("big.bin", os.urandom(300 * KIB + 7))], KIB),
    "several files across chunk boundaries": (
        [("技术标.pdf", os.urandom(5000)), ("empty.txt", b""), ("报价.xlsx", os.urandom(2500)), ("c", b"x")],
        KIB,
    ),
    "1 MiB chunks, one a job": ([("a.bin", os.urandom(3 * MIB + 5)), ("b.bin", os.urandom(2 * MIB))], MIB),
    "16 MiB chunks, larger than a job": ([("a.bin", os.urandom(16 * MIB + 5))], 16 * MIB),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("workers", [2, 4])
def test_parallel_sealing_writes_the_bytes_of_the_reference(bidder, opening_key, case, workers):
    files, chunk_size = CASES[case]
    expected = reference_seal(files, bidder, opening_key, chunk_size=chunk_size, randfunc=Drbg(case))
    parallel = seal(files, bidder, opening_key, chunk_size=chunk_size, randfunc=Drbg(case), workers=workers)
    alone = seal(files, bidder, opening_key, chunk_size=chunk_size, randfunc=Drbg(case), workers=1)
    assert parallel == expected
    assert alone == expected
    assert open_bytes(parallel, opening_key, expected_signing_public_key=bidder.signing.public_key())[1] == dict(files)


def test_the_default_seals_in_parallel_and_still_matches(bidder, opening_key):
    files, chunk_size = CASES["several files across chunk boundaries"]
    expected = reference_seal(files, bidder, opening_key, chunk_size=chunk_size, randfunc=Drbg("default"))
    assert seal(files, bidder, opening_key, chunk_size=chunk_size, randfunc=Drbg("default"), workers=None) == expected


def vector_keys(vectors):
    bidder = keys.load_key_file(json.dumps(vectors["keys"]["bidder_key_file"]).encode())
    opening = RSA.import_key(base64.b64decode(vectors["keys"]["opening_private_key_pkcs8"]))
    return bidder, opening


@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_parallel_sealing_reproduces_the_published_vectors(vectors, workers):
    bidder, opening = vector_keys(vectors)
    for vector in vectors["vectors"]:
        given = vector["input"]
        out = io.BytesIO()
        contents = [base64.b64decode(f["data"]) for f in given["files"]]
        envelope.seal(
            out,
            bid_letter=given["bid_letter"],
            files=[
                envelope.PlainFile(f["name"], io.BytesIO(data), len(data), f["media_type"])
                for f, data in zip(given["files"], contents, strict=True)
            ],
            tender_id=given["tender_id"],
            opening_public_key=opening.public_key(),
            bidder=bidder,
            chunk_size=given["chunk_size"],
            randfunc=Drbg(vector["seed"]),
            workers=workers,
        )
        data = out.getvalue()
        assert data == base64.b64decode(vector["envelope"])
        assert hashlib.sha256(data).hexdigest() == vector["envelope_sha256"]
        manifest, opened = open_bytes(data, opening)
        assert manifest["bid_letter"] == given["bid_letter"]
        assert opened == {f["name"]: d for f, d in zip(given["files"], contents, strict=True)}


def test_progress_comes_once_a_chunk_in_order(bidder, opening_key):
    files = [("a.bin", os.urandom(20 * KIB))]
    calls = []
    data = seal(files, bidder, opening_key, chunk_size=KIB, randfunc=Drbg("p"), workers=3,
                progress=lambda done, total: calls.append((done, total)))
    total = manifest_size([("a.bin", 20 * KIB)]) + 20 * KIB
    count = envelope.chunk_count(total, KIB)
    assert calls == [(min((i + 1) * KIB, total), total) for i in range(count)]
    assert open_bytes(data, opening_key)[1] == dict(files)


@pytest.mark.parametrize(("data", "announced"), [(b"x" * 9000, 9001), (b"x" * 9000, 8999), (b"x" * 9000, 4000)])
def test_a_file_that_is_not_its_announced_size_stops_parallel_sealing(bidder, opening_key, data, announced):
    with pytest.raises(ValueError, match="announced size"):
        envelope.seal(
            io.BytesIO(),
            bid_letter={},
            files=[envelope.PlainFile("a", io.BytesIO(data), announced)],
            tender_id="T",
            opening_public_key=opening_key.public_key(),
            bidder=bidder,
            chunk_size=KIB,
            workers=4,
        )


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_integer(bidder, opening_key, workers):
    with pytest.raises(ValueError, match="workers"):
        seal([], bidder, opening_key, chunk_size=KIB, randfunc=Drbg("w"), workers=workers)
