#!/usr/bin/env python3
"""Write docs/sealed-bid-vectors.json and docs/sealed-bid-negative-vectors.json: test vectors for
other implementations of sealed-bid/1 (what must open, and what must be refused with which code).

    python tools/make_vectors.py            # (re)write the files
    python tools/make_vectors.py --check    # exit 1 if a file is not what this script makes

Every random byte comes from a named, seeded SHA-256 counter generator (Drbg below), so the output
is the same on every run. This determinism is for vectors only: the real code draws from the OS.
Key generation follows pycryptodome's internals, so another pycryptodome release may make other
keys; the vectors then stay valid but --check reports a difference.
"""

import argparse
import base64
import hashlib
import io
import json
import sys
from pathlib import Path
from unittest import mock

if __package__ in (None, ""):  # run as `python tools/make_vectors.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from Crypto.Cipher import AES  # noqa: E402
from Crypto.Hash import SHA256  # noqa: E402
from Crypto.Signature import DSS  # noqa: E402

from sealedbid import ceremony, envelope, keys  # noqa: E402
from sealedbid.keys import unb64  # noqa: E402

VECTORS = Path(__file__).resolve().parent.parent / "docs" / "sealed-bid-vectors.json"
NEGATIVE_VECTORS = VECTORS.with_name("sealed-bid-negative-vectors.json")
PASSPHRASE = "correct horse battery staple 正确"  # noqa: S105 -- a published test passphrase
TENDER = "BZ-2025-GC-0001"


class Drbg:
    """Deterministic bytes: SHA-256(seed ‖ 8-byte big-endian counter), concatenated. Vectors only."""

    def __init__(self, seed: str):
        self.seed = seed.encode("utf-8")
        self.counter = 0
        self.pending = b""

    def __call__(self, n: int) -> bytes:
        while len(self.pending) < n:
            self.pending += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        out, self.pending = self.pending[:n], self.pending[n:]
        return out


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def make_keys():
    custodians = [keys.generate_custodian_keys(randfunc=Drbg(f"custodian {i}")) for i in (1, 2, 3)]
    # pycryptodome's Shamir.split draws its coefficients from a module-level generator: pin it here.
    with mock.patch("Crypto.Protocol.SecretSharing.rng", Drbg("shamir coefficients")):
        record = ceremony.create_opening_key(
            [keys.public_pem(c.encryption) for c in custodians], 2, TENDER, randfunc=Drbg("ceremony")
        )
    shares = [
        ceremony.decrypt_share(s.encrypted_share, c.encryption) for s, c in zip(record.shares, custodians, strict=True)
    ]
    opening_key = ceremony.recover_opening_key(record, shares[:2])
    bidder = keys.generate_bidder_keys(randfunc=Drbg("bidder"))
    return custodians, record, shares, opening_key, bidder


def seal_vector(name, seed, bidder, opening_key, bid_letter, files, chunk_size):
    """Seal with Drbg(seed) and record every intermediate value a reimplementation can compare."""
    out = io.BytesIO()
    plain_files = [envelope.PlainFile(n, io.BytesIO(data), len(data), media) for n, media, data in files]
    info = envelope.seal(
        out,
        bid_letter=bid_letter,
        files=plain_files,
        tender_id=TENDER,
        opening_public_key=opening_key.public_key(),
        bidder=bidder,
        chunk_size=chunk_size,
        randfunc=Drbg(seed),
    )
    data = out.getvalue()
    header = info.header
    rand = Drbg(seed)
    content_key, prefix = rand(envelope.KEY_SIZE), rand(envelope.NONCE_PREFIX_SIZE)
    header_sha256 = hashlib.sha256(info.header_bytes).digest()
    offset = len(envelope.MAGIC) + 4 + len(info.header_bytes)
    chunks, digests = [], []
    for index in range(header["chunk_count"]):
        size = min(chunk_size, header["plaintext_size"] - index * chunk_size) + envelope.TAG_SIZE
        record = data[offset : offset + size]
        offset += size
        digests.append(hashlib.sha256(record).digest())
        last = index == header["chunk_count"] - 1
        chunks.append(
            {
                "aad": envelope.associated_data(header_sha256, index, last).hex(),
                "nonce": envelope.nonce(prefix, index).hex(),
                "record_sha256": digests[-1].hex(),
                "record_size": size,
            }
        )
    manifest = envelope.canonical_json(
        {"bid_letter": bid_letter, "files": [{"media_type": m, "name": n, "size": len(d)} for n, m, d in files]}
    )
    chunks_digest = hashlib.sha256(b"".join(digests)).digest()
    return {
        "name": name,
        "seed": seed,
        "input": {
            "bid_letter": bid_letter,
            "chunk_size": chunk_size,
            "files": [{"data": b64(d), "media_type": m, "name": n} for n, m, d in files],
            "tender_id": TENDER,
        },
        "content_key": content_key.hex(),
        "nonce_prefix": prefix.hex(),
        "plaintext": b64(len(manifest).to_bytes(4, "big") + manifest + b"".join(d for _, _, d in files)),
        "header": info.header_bytes.decode("utf-8"),
        "header_sha256": header_sha256.hex(),
        "chunks": chunks,
        "chunks_digest": chunks_digest.hex(),
        "signed_message": envelope.signed_message(info.header_bytes, chunks_digest).hex(),
        "signature": data[-envelope.SIGNATURE_SIZE :].hex(),
        "envelope": b64(data),
        "envelope_size": len(data),
        "envelope_sha256": hashlib.sha256(data).hexdigest(),
    }


def exact_multiple_file(bid_letter, name, media, chunk_size, chunks):
    """File bytes that make the plaintext exactly `chunks` chunks long (the manifest holds the size)."""
    size = chunks * chunk_size
    for _ in range(5):
        manifest = envelope.canonical_json(
            {"bid_letter": bid_letter, "files": [{"media_type": media, "name": name, "size": size}]}
        )
        size = chunks * chunk_size - 4 - len(manifest)
    return [(name, media, Drbg("exact multiple data")(size))]


def build() -> dict:
    custodians, record, shares, opening_key, bidder = make_keys()
    letter = {
        "bidder_name": "巴中市示例建设有限公司",
        "duration_days": 180,
        "price_fen": 1234567800,
        "quality": "合格",
        "validity_days": 90,
    }
    vectors = [
        seal_vector(
            "two files and an empty one, 1 KiB chunks",
            "vector 1",
            bidder,
            opening_key,
            letter,
            [
                ("技术标.pdf", "application/pdf", Drbg("file 1")(2500)),
                ("empty.txt", "text/plain", b""),
                ("notes.txt", "text/plain", "工期 180 日历天\n".encode()),
            ],
            1024,
        ),
        seal_vector(
            "plaintext an exact multiple of the chunk size",
            "vector 2",
            bidder,
            opening_key,
            {"price_fen": 99},
            exact_multiple_file({"price_fen": 99}, "a.bin", "application/octet-stream", 1024, 3),
            1024,
        ),
        seal_vector("bid letter only, default chunk size", "vector 3", bidder, opening_key, letter, [], 1 << 20),
    ]
    return {
        "format": envelope.FORMAT,
        "about": "Test vectors for docs/sealed-bid-format.md, made by tools/make_vectors.py. "
        "Binary values are lowercase hex (short) or standard base64 (long). The random draws of each "
        "vector come from Drbg(seed): SHA-256(UTF-8 seed ‖ 8-byte big-endian counter) concatenated, taken "
        "in this order: content key (32), nonce prefix (4), OAEP seed for the opening key, OAEP seed for "
        "the bidder key, then the ECDSA nonce k (FIPS 186-3 generation in pycryptodome).",
        "keys": {
            "bidder_key_file": json.loads(keys.dump_key_file(bidder)),
            "bidder_key_file_protected": json.loads(keys.dump_key_file(bidder, PASSPHRASE, randfunc=Drbg("key file"))),
            "passphrase": PASSPHRASE,
            "opening_private_key_pkcs8": b64(opening_key.export_key(format="DER", pkcs=8)),
            "opening_public_key_pem": keys.public_pem(opening_key),
            "opening_key_fingerprint": keys.fingerprint(opening_key),
        },
        "ceremony": {
            "custodian_key_files": [json.loads(keys.dump_key_file(c)) for c in custodians],
            "record": record.to_dict(),
            "plain_shares": [b64(s) for s in shares],
        },
        "vectors": vectors,
    }


# --- negative vectors: what every reader must refuse, and with which code (docs §8, §8.1) ---------------


def forge(seed, plaintext, *, bidder, opening_public_key, signer=None, chunk_size=1024, wrapped_content=None,
          edit=None, raw_header=None):
    """An envelope sealed by hand from a raw plaintext, optionally with an edited or raw header.

    The chunks are encrypted and the whole signed as §5 says, so exactly the intended fault remains.
    """
    rand = Drbg(seed)
    content_key, prefix = rand(envelope.KEY_SIZE), rand(envelope.NONCE_PREFIX_SIZE)
    wrapped = content_key if wrapped_content is None else wrapped_content
    count = envelope.chunk_count(len(plaintext), chunk_size)
    header = {
        "bidder_encryption_key_fingerprint": keys.fingerprint(bidder.encryption),
        "bidder_signing_key": b64(keys.spki_der(signer or bidder.signing)),
        "bidder_signing_key_fingerprint": keys.fingerprint(signer or bidder.signing),
        "bidder_wrapped_key": b64(keys.oaep(bidder.encryption.public_key(), rand).encrypt(wrapped)),
        "chunk_count": count,
        "chunk_size": chunk_size,
        "format": envelope.FORMAT,
        "nonce_prefix": prefix.hex(),
        "opening_key_fingerprint": keys.fingerprint(opening_public_key),
        "opening_wrapped_key": b64(keys.oaep(opening_public_key, rand).encrypt(wrapped)),
        "plaintext_size": len(plaintext),
        "tender_id": TENDER,
    }
    if edit:
        edit(header)
    header_bytes = raw_header(header) if raw_header else envelope.canonical_json(header)
    header_sha256 = hashlib.sha256(header_bytes).digest()
    records = []
    for index in range(count):
        cipher = AES.new(content_key, AES.MODE_GCM, nonce=envelope.nonce(prefix, index), mac_len=envelope.TAG_SIZE)
        cipher.update(envelope.associated_data(header_sha256, index, index == count - 1))
        ciphertext, tag = cipher.encrypt_and_digest(plaintext[index * chunk_size : (index + 1) * chunk_size])
        records.append(ciphertext + tag)
    digest = hashlib.sha256(b"".join(hashlib.sha256(r).digest() for r in records)).digest()
    signature = DSS.new(signer or bidder.signing, "fips-186-3", encoding="binary", randfunc=rand).sign(
        SHA256.new(envelope.signed_message(header_bytes, digest))
    )
    return envelope.MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + b"".join(records) + signature


def container(manifest: bytes, *files: bytes) -> bytes:
    return len(manifest).to_bytes(4, "big") + manifest + b"".join(files)


def outcome(action) -> str:
    """The error code an action ends with, or "ok"."""
    try:
        action()
    except (envelope.EnvelopeError, keys.KeyFileError) as exc:
        return exc.code
    return "ok"


def python_outcomes(data, bidder, opening_key):
    """What the Python reader says, for each of the three ways of reading an envelope (the vector's `expect`)."""

    def opened(key, which):
        def run():
            result = envelope.open_envelope(io.BytesIO(data), key, which, expected_signing_public_key=bidder.signing)
            for _entry, stream in result.files():
                stream.read()

        return run

    return {
        "check": outcome(lambda: envelope.check_structure(
            io.BytesIO(data), bidder.signing, expected_tender_id=TENDER,
            expected_opening_fingerprint=keys.fingerprint(opening_key),
        )),
        "open_opening": outcome(opened(opening_key, "opening")),
        "open_bidder": outcome(opened(bidder.encryption, "bidder")),
    }


def negative_envelopes(bidder, opening_key, base: bytes) -> list[dict]:
    other_bidder = keys.generate_bidder_keys(randfunc=Drbg("other bidder"))
    other_opening = keys.generate_custodian_keys(randfunc=Drbg("other opening key")).encryption
    public = opening_key.public_key()
    letter = {"price": 1180000000}
    manifest = envelope.canonical_json({"bid_letter": letter, "files": [{"media_type": "text/plain",
                                                                         "name": "a.txt", "size": 3000}]})
    good = container(manifest, Drbg("negative file")(3000))

    def env(seed, plaintext=good, **kwargs):
        return forge(seed, plaintext, bidder=bidder, opening_public_key=public, **kwargs)

    def setter(field, value):
        return lambda header: header.__setitem__(field, value)

    signing = bidder.signing.public_key()
    compressed = signing.export_key(format="DER", compress=True)
    header_length = len(envelope.MAGIC) + 4 + int.from_bytes(base[13:17], "big")
    first_record = header_length, header_length + 1024 + envelope.TAG_SIZE
    swapped = bytearray(base)
    a, b = first_record[0], first_record[1]
    swapped[a:b], swapped[b : b + (b - a)] = base[b : b + (b - a)], base[a:b]
    flipped = bytearray(base)
    flipped[a + 10] ^= 1
    bad_signature = bytearray(base)
    bad_signature[-1] ^= 1
    cases = [
        ("not an envelope: a PDF", b"%PDF-1.7\n" + bytes(200)),
        ("magic only", envelope.MAGIC),
        ("header length 1", envelope.MAGIC + (1).to_bytes(4, "big") + b"{}"),
        ("header with spaces (not canonical JSON)",
         env("n1", raw_header=lambda h: json.dumps(h, sort_keys=True, ensure_ascii=False).encode())),
        ("header with a byte order mark", env("n2", raw_header=lambda h: b"\xef\xbb\xbf" + envelope.canonical_json(h))),
        ("header with an unknown field", env("n3", edit=setter("comment", "x"))),
        ("tender_id of 201 UTF-8 bytes (67 characters)", env("n4", edit=setter("tender_id", "标" * 67))),
        ("plaintext_size 0", env("n5", edit=setter("plaintext_size", 0))),
        ("chunk_count one too many", env("n6", edit=lambda h: h.__setitem__("chunk_count", h["chunk_count"] + 1))),
        ("signing key as a compressed point (fingerprint of those bytes)",
         env("n7", edit=lambda h: h.update(bidder_signing_key=b64(compressed),
                                           bidder_signing_key_fingerprint=hashlib.sha256(compressed).hexdigest()))),
        ("signing key as base64 of its PEM",
         env("n8", edit=lambda h: h.update(bidder_signing_key=b64(keys.public_pem(signing).encode()),
                                           bidder_signing_key_fingerprint=hashlib.sha256(
                                               keys.public_pem(signing).encode()).hexdigest()))),
        ("signing key as a PKCS#8 private key",
         env("n9", edit=lambda h: h.update(bidder_signing_key=b64(bidder.signing.export_key(format="DER")),
                                           bidder_signing_key_fingerprint=hashlib.sha256(
                                               bidder.signing.export_key(format="DER")).hexdigest()))),
        ("signing key fingerprint of another key",
         env("n10", edit=setter("bidder_signing_key_fingerprint", keys.fingerprint(other_bidder.signing)))),
        ("opening_wrapped_key of 383 bytes",
         env("n11", edit=lambda h: h.__setitem__("opening_wrapped_key", b64(unb64(h["opening_wrapped_key"])[:-1])))),
        ("bad wrapped key and bad signing key: bad_header wins",
         env("n12", edit=lambda h: h.update(opening_wrapped_key="AAAA", bidder_signing_key_fingerprint="0" * 64))),
        ("signed by another bidder's key", env("n13", signer=other_bidder.signing)),
        ("signed by another bidder and cut short: wrong_signing_key wins",
         env("n14", signer=other_bidder.signing)[:-100]),
        ("sealed for another tender", env("n15", edit=setter("tender_id", "BZ-2025-GC-0002"))),
        ("sealed to another opening key",
         forge("n16", good, bidder=bidder, opening_public_key=other_opening.public_key())),
        ("a content key of 31 bytes", env("n17", wrapped_content=bytes(31))),
        ("one byte appended", base + b"\x00"),
        ("cut inside the last chunk", base[:-80]),
        ("a flipped bit in chunk 0", bytes(flipped)),
        ("chunks 0 and 1 swapped", bytes(swapped)),
        ("a flipped bit in the signature", bytes(bad_signature)),
        ("manifest with a byte order mark", env("n18", container(b"\xef\xbb\xbf" + manifest, bytes(3000)))),
        ("plaintext ends inside the manifest", env("n19", (len(manifest) + 50).to_bytes(4, "big") + manifest)),
        ("manifest with a third field",
         env("n20", container(envelope.canonical_json({"bid_letter": {}, "extra": 1, "files": []})))),
        ("manifest sizes that do not fill the plaintext", env("n21", container(manifest, bytes(2999)))),
        ("manifest with a float price", env("n22", container(b'{"bid_letter":{"price":1.5},"files":[]}'))),
        ("a bad manifest and a corrupt later chunk: bad_manifest wins",
         corrupt_last(env("n23", container(b"[]", bytes(3000))))),
    ]
    return [{"name": name, "envelope": b64(data), "expect": python_outcomes(data, bidder, opening_key)}
            for name, data in cases]


def corrupt_last(data: bytes) -> bytes:
    data = bytearray(data)
    data[-envelope.SIGNATURE_SIZE - 1] ^= 1  # the last chunk's tag
    return bytes(data)


def negative_key_files(bidder, custodian, protected: bytes) -> list[dict]:
    plain = json.loads(keys.dump_key_file(bidder))
    custodian_file = json.loads(keys.dump_key_file(custodian))
    protected_doc = json.loads(protected)
    signing = bidder.signing.public_key()

    def changed(doc, path, value):
        doc = json.loads(json.dumps(doc))
        target = doc
        for part in path[:-1]:
            target = target[part]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)

    text = lambda doc: json.dumps(doc, indent=2, sort_keys=True)  # noqa: E731
    cases = [
        ("not JSON (a PDF)", "%PDF-1.7", None, None),
        ("a sealed envelope instead of a key file", "sealed-bid/1\n\u0000\u0000", None, None),
        ("another format", changed(plain, ["format"], "sealed-bid-key/2"), None, None),
        ("an unknown kind", changed(plain, ["kind"], "expert"), None, None),
        ("a bidder key file where a custodian's is expected (before the passphrase)", text(protected_doc), None,
         "custodian"),
        ("a custodian key file where a bidder's is expected", text(custodian_file), None, "bidder"),
        ("a custodian key file with a signing key", changed(custodian_file, ["public", "signing"], plain["public"]
                                                              ["signing"]), None, None),
        ("public signing key as a compressed point",
         changed(plain, ["public", "signing"], b64(signing.export_key(format="DER", compress=True))), None, None),
        ("public signing key as base64 of its PEM",
         changed(plain, ["public", "signing"], b64(keys.public_pem(signing).encode())), None, None),
        ("public encryption key as a PKCS#8 private key",
         changed(plain, ["public", "encryption"], plain["private"]["encryption"]), None, None),
        ("private encryption key as PKCS#1 DER",
         changed(plain, ["private", "encryption"], b64(bidder.encryption.export_key(format="DER", pkcs=1))), None,
         None),
        ("private encryption key of another key", changed(plain, ["private", "encryption"],
                                                           custodian_file["private"]["encryption"]), None, None),
        ("no private keys", changed(plain, ["private"], None), None, None),
        ("protected, no passphrase given", text(protected_doc), None, None),
        ("protected, wrong passphrase", text(protected_doc), "wrong " + PASSPHRASE, None),
        ("protected, 100000 iterations (before the passphrase)",
         changed(protected_doc, ["protected", "iterations"], 100000), None, None),
        ("protected, a salt of 15 bytes", changed(protected_doc, ["protected", "salt"], b64(bytes(15))), None, None),
        ("protected, a nonce of 16 bytes", changed(protected_doc, ["protected", "nonce"], b64(bytes(16))), PASSPHRASE,
         None),
        ("protected, salt in non-canonical base64", changed(protected_doc, ["protected", "salt"],
                                                             protected_doc["protected"]["salt"][:-3] + "B=="), None,
         None),
        ("protected, the public encryption key replaced (it is in the associated data)",
         changed(protected_doc, ["public", "encryption"], custodian_file["public"]["encryption"]), PASSPHRASE, None),
    ]
    vectors = []
    for name, key_file, passphrase, kind in cases:
        expect = outcome(lambda k=key_file, p=passphrase, w=kind: keys.load_key_file(k.encode(), p, kind=w))
        vectors.append({"name": name, "key_file": key_file, "passphrase": passphrase, "kind": kind, "expect": expect})
    return vectors


def build_negative(positive: dict) -> dict:
    custodians, _record, _shares, opening_key, bidder = make_keys()
    base = base64.b64decode(positive["vectors"][0]["envelope"])
    protected = json.dumps(positive["keys"]["bidder_key_file_protected"]).encode()
    return {
        "format": envelope.FORMAT,
        "about": "Negative test vectors for docs/sealed-bid-format.md, made by tools/make_vectors.py: envelopes "
        "and key files every reader must refuse, each with the error code of docs §8 it must give (the first "
        "fault in the order of docs §8.1). Keys are those of sealed-bid-vectors.json. Envelope `expect`: "
        "`check` is the upload check (§9.2) with the bidder's registered signing key, tender BZ-2025-GC-0001 "
        "and the opening key's fingerprint; `open_opening` and `open_bidder` are opening (§9.3) with the "
        "opening private key or the bidder's key file, expecting the bidder's registered signing key. "
        "\"ok\" means that way of reading does not see this fault. Key file vectors give the text, the "
        "passphrase (null: none given) and the kind the reader expects (null: any).",
        "envelopes": negative_envelopes(bidder, opening_key, base),
        "key_files": negative_key_files(bidder, custodians[0], protected),
    }


def render(doc) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=VECTORS)
    parser.add_argument("--check", action="store_true", help="compare with the existing file instead of writing")
    parser.add_argument("--negative-out", type=Path, default=NEGATIVE_VECTORS)
    args = parser.parse_args(argv)
    positive = build()
    outputs = [(args.out, render(positive)), (args.negative_out, render(build_negative(positive)))]
    if args.check:
        status = 0
        for path, data in outputs:
            same = path.exists() and path.read_bytes() == data
            print(f"{path}: {'up to date' if same else 'DIFFERS from what this script makes'}")
            status |= not same
        return status
    for path, data in outputs:
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
