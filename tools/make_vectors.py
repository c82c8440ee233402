#!/usr/bin/env python3
"""Write docs/sealed-bid-vectors.json: test vectors for other implementations of sealed-bid/1.

    python tools/make_vectors.py            # (re)write the file
    python tools/make_vectors.py --check    # exit 1 if the file is not what this script makes

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

from trading.sealing import ceremony, envelope, keys  # noqa: E402

VECTORS = Path(__file__).resolve().parent.parent / "docs" / "sealed-bid-vectors.json"
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


def render(doc) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=VECTORS)
    parser.add_argument("--check", action="store_true", help="compare with the existing file instead of writing")
    args = parser.parse_args(argv)
    data = render(build())
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == data
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from what this script makes'}")
        return 0 if same else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
