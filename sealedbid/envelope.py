"""The sealed-bid/1 envelope: seal on the bidder's machine, check at upload, open at the opening.

Byte layout, field rules and the reasons behind them: docs/sealed-bid-format.md. In short:

    "sealed-bid/1\\n" ‖ u32 header length ‖ canonical JSON header
    ‖ chunk records (AES-256-GCM ciphertext ‖ 16-byte tag) ‖ 64-byte ECDSA P-256 signature

Everything streams, so memory stays bounded by the chunk size (≤ 16 MiB) whatever the size of the bid:
checking and opening go one chunk at a time; sealing seals a bounded window of chunks in parallel, on
every core, and writes them in order.
"""

import collections
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Random import get_random_bytes
from Crypto.Signature import DSS

from .canonical import canonical_json
from .keys import (
    BidderKeys,
    b64,
    check_p256_key,
    check_rsa_key,
    exact_spki,
    fingerprint,
    load_public_key,
    oaep,
    spki_der,
    unb64,
)

FORMAT = "sealed-bid/1"
MAGIC = b"sealed-bid/1\n"
DEFAULT_CHUNK_SIZE = 1 << 20
MIN_CHUNK_SIZE = 1 << 10
MAX_CHUNK_SIZE = 1 << 24  # bounds the memory of whoever reads an envelope
MAX_HEADER_SIZE = 1 << 16
MAX_MANIFEST_SIZE = 1 << 20
MAX_PLAINTEXT_SIZE = 1 << 40
MAX_FILES = 1000
MAX_TENDER_ID_BYTES = 200
MAX_SAFE_INTEGER = (1 << 53) - 1  # the largest integer a JavaScript number holds exactly
KEY_SIZE = 32
NONCE_PREFIX_SIZE = 4
TAG_SIZE = 16
SIGNATURE_SIZE = 64
WRAPPED_KEY_SIZE = 384  # RSA-3072
HEADER_FIELDS = {
    "bidder_encryption_key_fingerprint",
    "bidder_signing_key",
    "bidder_signing_key_fingerprint",
    "bidder_wrapped_key",
    "chunk_count",
    "chunk_size",
    "format",
    "nonce_prefix",
    "opening_key_fingerprint",
    "opening_wrapped_key",
    "plaintext_size",
    "tender_id",
}
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FORBIDDEN_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class EnvelopeError(Exception):
    """An envelope that fails a check. `code` is stable and meant for programs and translated messages:

    bad_magic, bad_header, bad_wrapped_key, bad_size, wrong_signing_key, wrong_tender, wrong_opening_key,
    bad_signature (structure, no key needed); wrong_key, corrupt_chunk, truncated, bad_manifest (opening).
    """

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class PlainFile:
    """One file to seal. `size` must be exact: the header announces it before the bytes are read."""

    name: str
    stream: BinaryIO
    size: int
    media_type: str = "application/octet-stream"


@dataclass(frozen=True)
class EnvelopeInfo:
    header: dict
    header_bytes: bytes
    size: int  # the whole envelope, computed from the header
    sha256: str | None = None  # of the whole envelope; set by check_structure and seal, not by inspect


def valid_tender_id(value) -> bool:
    """docs §3.1: the length of tender_id counts UTF-8 bytes (not code points, not UTF-16 units)."""
    try:
        return isinstance(value, str) and 1 <= len(value.encode("utf-8")) <= MAX_TENDER_ID_BYTES
    except UnicodeEncodeError:  # a lone surrogate
        return False


def chunk_count(plaintext_size: int, chunk_size: int) -> int:
    return -(-plaintext_size // chunk_size)


def envelope_size(header: dict) -> int:
    return (
        len(MAGIC)
        + 4
        + len(canonical_json(header))
        + header["plaintext_size"]
        + TAG_SIZE * header["chunk_count"]
        + SIGNATURE_SIZE
    )


def nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(8, "big")


def associated_data(header_sha256: bytes, index: int, last: bool) -> bytes:
    # The header hash ties each chunk to this envelope, the index to its place, the flag to the end.
    return header_sha256 + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def signed_message(header_bytes: bytes, chunks_digest: bytes) -> bytes:
    """What the ECDSA signature covers: the envelope prefix, then SHA-256 over the per-chunk SHA-256 digests.

    Not SHA-256(header ‖ ciphertext): WebCrypto cannot hash a stream, but it can hash each chunk and
    then the short list of digests, so the browser signs a gigabyte without holding it in memory.
    """
    return MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + chunks_digest


# --- sealing ---------------------------------------------------------------------------------------


def seal(
    out: BinaryIO,
    *,
    bid_letter: dict,
    files: list[PlainFile],
    tender_id: str,
    opening_public_key,
    bidder: BidderKeys,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    randfunc: Callable[[int], bytes] | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> EnvelopeInfo:
    """Write a sealed envelope to `out` (written sequentially, never seeked) and describe it.

    `opening_public_key` is the tender's RSA-3072 opening key (PEM or key object). `randfunc` exists
    for test vectors only; the default is the operating system's secure generator.
    `progress(done, total)` is called after each chunk with plaintext byte counts, in this thread.
    `workers`: threads that seal chunks in parallel (default: one per core, at most MAX_WORKERS; 1 seals
    in this thread alone). The envelope's bytes do not depend on it. Memory stays bounded: at most
    workers + 2 jobs of about JOB_SIZE (or one chunk, if larger) are in flight. `out.write` may be given a
    view of a buffer that is reused after it returns (the io contract; files and BytesIO copy).
    """
    randfunc = randfunc or get_random_bytes
    workers = _worker_count(workers)
    if isinstance(opening_public_key, str | bytes):
        opening_public_key = load_public_key(opening_public_key)
    check_rsa_key(opening_public_key)
    check_rsa_key(bidder.encryption)
    check_p256_key(bidder.signing)
    if not valid_tender_id(tender_id):
        raise ValueError(f"tender_id must be 1 to {MAX_TENDER_ID_BYTES} bytes of UTF-8")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE}")

    manifest = canonical_json(
        {
            "bid_letter": bid_letter,
            "files": [{"media_type": f.media_type, "name": f.name, "size": f.size} for f in files],
        }
    )
    plaintext_size = 4 + len(manifest) + sum(f.size for f in files)
    try:  # never produce what opening would refuse
        check_manifest(manifest, plaintext_size)
    except EnvelopeError as exc:
        raise ValueError(str(exc)) from exc
    if plaintext_size > MAX_PLAINTEXT_SIZE:
        raise ValueError("bid too large")

    # The order of the random draws is part of the test vectors (docs §9): key, prefix, OAEP seeds, ECDSA k.
    content_key = randfunc(KEY_SIZE)
    nonce_prefix = randfunc(NONCE_PREFIX_SIZE)
    opening_wrapped_key = oaep(opening_public_key, randfunc).encrypt(content_key)
    bidder_wrapped_key = oaep(bidder.encryption.public_key(), randfunc).encrypt(content_key)
    count = chunk_count(plaintext_size, chunk_size)
    header = {
        "bidder_encryption_key_fingerprint": fingerprint(bidder.encryption),
        "bidder_signing_key": b64(spki_der(bidder.signing)),
        "bidder_signing_key_fingerprint": fingerprint(bidder.signing),
        "bidder_wrapped_key": b64(bidder_wrapped_key),
        "chunk_count": count,
        "chunk_size": chunk_size,
        "format": FORMAT,
        "nonce_prefix": nonce_prefix.hex(),
        "opening_key_fingerprint": fingerprint(opening_public_key),
        "opening_wrapped_key": b64(opening_wrapped_key),
        "plaintext_size": plaintext_size,
        "tender_id": tender_id,
    }
    header_bytes = canonical_json(header)
    header_sha256 = hashlib.sha256(header_bytes).digest()

    whole = hashlib.sha256()
    digests = hashlib.sha256()

    def write(data):
        whole.update(data)
        out.write(data)

    write(MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes)
    source = _Concatenation(
        [(io.BytesIO(len(manifest).to_bytes(4, "big") + manifest), 4 + len(manifest))]
        + [(f.stream, f.size) for f in files]
    )
    sealer = _ChunkSealer(content_key, nonce_prefix, header_sha256, chunk_size, plaintext_size)
    done = 0
    # The envelope's own SHA-256 and the writes follow the order of the bytes, so they stay in this
    # thread; the chunks themselves (encryption and their digests) are sealed by the workers.
    for ciphertext, tag, record_digest in sealer.records(source, workers):
        write(ciphertext)
        write(tag)
        digests.update(record_digest)
        done += len(ciphertext)
        if progress:
            progress(done, plaintext_size)
    signer = DSS.new(bidder.signing, "fips-186-3", encoding="binary", randfunc=randfunc)
    write(signer.sign(SHA256.new(signed_message(header_bytes, digests.digest()))))
    return EnvelopeInfo(header, header_bytes, envelope_size(header), whole.hexdigest())


# Plaintext handed to a worker at a time (whole chunks, at least one): large enough that the hand-over
# costs nothing next to the encryption, small enough that the window of jobs in flight stays a few MiB.
JOB_SIZE = 1 << 20
# Encrypt and hash this much at a time, so the SHA-256 of a record reads what AES-GCM has just written
# while it is still in the core's cache: one pass over the data, not two.
_STRIDE = 1 << 16
# Beyond this many threads sealing gains nothing: the envelope's SHA-256 and the writes are sequential.
MAX_WORKERS = 4


def _worker_count(workers: int | None) -> int:
    if workers is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        return max(1, min(cores, MAX_WORKERS))
    if type(workers) is not int or workers < 1:
        raise ValueError("workers must be a positive integer")
    return workers


class _ChunkSealer:
    """Seals the chunks of one envelope (docs §5.2), several at a time.

    Each chunk is independent (its own nonce, its own associated data), so chunks are sealed in any
    order by any thread; `records` hands them back in order. pycryptodome's AES-GCM and hashlib's
    SHA-256 run in C without the GIL, so threads use every core (a process pool measured slower: each
    chunk would cross a pipe twice, and the key would have to be sent to other processes).
    """

    def __init__(self, content_key, nonce_prefix, header_sha256, chunk_size, plaintext_size):
        self.key, self.prefix, self.header_sha256 = content_key, nonce_prefix, header_sha256
        self.chunk_size, self.plaintext_size = chunk_size, plaintext_size
        self.count = chunk_count(plaintext_size, chunk_size)

    def seal_job(self, buffer: memoryview, first: int) -> list[tuple[bytes, bytes]]:
        """Encrypt, in place, the chunks first, first + 1, … that fill `buffer`; return (tag, SHA-256 of the
        record) for each. Touches nothing but `buffer`: safe in any thread."""
        sealed = []
        for offset in range(0, len(buffer), self.chunk_size):
            index = first + offset // self.chunk_size
            chunk = buffer[offset : offset + self.chunk_size]
            cipher = AES.new(self.key, AES.MODE_GCM, nonce=nonce(self.prefix, index), mac_len=TAG_SIZE)
            cipher.update(associated_data(self.header_sha256, index, index == self.count - 1))
            record_hash = hashlib.sha256()
            for at in range(0, len(chunk), _STRIDE):
                piece = chunk[at : at + _STRIDE]
                cipher.encrypt(piece, output=piece)
                record_hash.update(piece)
            tag = cipher.digest()
            record_hash.update(tag)
            sealed.append((tag, record_hash.digest()))
        return sealed

    def _jobs(self, chunks_per_job):
        """(first chunk, plaintext bytes) of each job."""
        job_bytes = chunks_per_job * self.chunk_size
        for start in range(0, self.plaintext_size, job_bytes):
            yield start // self.chunk_size, min(job_bytes, self.plaintext_size - start)

    def records(self, source, workers: int) -> Iterator[tuple[memoryview, bytes, bytes]]:
        """(ciphertext, tag, SHA-256 of the record) of each chunk, in order. The ciphertext is a view of a
        buffer that is reused once the caller asks for the next record."""
        # Enough jobs for every worker, without making them much smaller than JOB_SIZE.
        per_job = max(1, min(JOB_SIZE // self.chunk_size, -(-self.count // (2 * workers))))
        jobs = self._jobs(per_job)
        if workers == 1 or self.count <= per_job:  # nothing to share out: no threads
            buffer = memoryview(bytearray(min(per_job * self.chunk_size, self.plaintext_size)))
            for first, size in jobs:
                yield from self._read_and_seal(source, buffer[:size], first)
            return
        # A bounded window: at most `window` jobs read and not yet written, each in its own buffer.
        window, job_bytes = workers + 2, per_job * self.chunk_size
        free, in_flight = [], collections.deque()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seal") as pool:
            try:
                for first, size in jobs:
                    if len(in_flight) == window:
                        yield from self._written(*in_flight.popleft(), free)
                    full = free.pop() if free else memoryview(bytearray(job_bytes))
                    buffer = full[:size]
                    source.readinto(buffer)
                    in_flight.append((full, buffer, pool.submit(self.seal_job, buffer, first)))
                while in_flight:
                    yield from self._written(*in_flight.popleft(), free)
            finally:  # on an error (a file that changed), drop what is queued; running jobs finish
                for _, _, future in in_flight:
                    future.cancel()

    def _read_and_seal(self, source, buffer, first):
        source.readinto(buffer)
        yield from self._chunks(buffer, self.seal_job(buffer, first))

    def _written(self, full, buffer, future, free):
        yield from self._chunks(buffer, future.result())
        free.append(full)  # the caller has written every record of this buffer

    def _chunks(self, buffer, sealed):
        for n, (tag, digest) in enumerate(sealed):
            yield buffer[n * self.chunk_size : (n + 1) * self.chunk_size], tag, digest


class _Concatenation:
    """Reads the plaintext container: the manifest, then each file, each exactly its announced size."""

    def __init__(self, parts):
        self.parts = list(parts)

    def readinto(self, target: memoryview):
        """Fill all of `target`; after the last byte of a part, check that the part has nothing more."""
        n, at = len(target), 0
        while self.parts and (n or not self.parts[0][1]):
            stream, left = self.parts[0]
            if not left:  # this part is done (or empty): it must not hold more than announced
                self.parts.pop(0)
                if stream.read(1):
                    raise ValueError("a file is longer than its announced size (did it change while sealing?)")
                continue
            want = min(n, left)
            got = _read_into(stream, target[at : at + want])
            if not got:
                raise ValueError("a file is shorter than its announced size (did it change while sealing?)")
            at, n = at + got, n - got
            self.parts[0] = (stream, left - got)


def _read_into(stream, target: memoryview) -> int:
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return readinto(target) or 0
    piece = stream.read(len(target))
    target[: len(piece)] = piece
    return len(piece)


# --- reading the cleartext parts (no key needed) ---------------------------------------------------


def _read(f, n: int, short_code: str) -> bytes:
    data = f.read(n)
    if len(data) == n:  # the usual case: no copy
        return data
    data = bytearray(data or b"")
    while len(data) < n:
        piece = f.read(n - len(data))
        if not piece:
            raise EnvelopeError(short_code, f"the envelope ends early (wanted {n} more bytes, got {len(data)})")
        data += piece
    return bytes(data)


def _strict_json(data: bytes, code: str, what: str):
    """Parse canonical JSON: one spelling only, no floats, no NaN, no duplicate keys."""

    def refuse(value):
        raise ValueError(f"number {value} is not an integer")

    try:
        value = json.loads(data.decode("utf-8"), parse_float=refuse, parse_constant=refuse)
        if canonical_json(value) != data:
            raise ValueError("not canonical JSON")
    except (ValueError, TypeError, RecursionError) as exc:
        raise EnvelopeError(code, f"{what}: {exc}") from exc
    return value


def _is_int(value, low, high) -> bool:
    return type(value) is int and low <= value <= high


def parse_header(header_bytes: bytes) -> dict:
    """Validate the header bytes against every rule of the format (docs §3); return the header."""
    header = _strict_json(header_bytes, "bad_header", "header")

    def bad(message):
        return EnvelopeError("bad_header", message)

    if not isinstance(header, dict) or set(header) != HEADER_FIELDS:
        raise bad("missing or unknown fields")
    if header["format"] != FORMAT:
        raise bad(f"format is not {FORMAT}")
    if not valid_tender_id(header["tender_id"]):
        raise bad(f"tender_id is not 1 to {MAX_TENDER_ID_BYTES} bytes of UTF-8")
    for field in ("opening_key_fingerprint", "bidder_signing_key_fingerprint", "bidder_encryption_key_fingerprint"):
        if not isinstance(header[field], str) or not _HEX64.fullmatch(header[field]):
            raise bad(f"{field} is not 64 lowercase hex digits")
    if not isinstance(header["nonce_prefix"], str) or not re.fullmatch(r"[0-9a-f]{8}", header["nonce_prefix"]):
        raise bad("nonce_prefix is not 8 lowercase hex digits")
    if not _is_int(header["chunk_size"], MIN_CHUNK_SIZE, MAX_CHUNK_SIZE):
        raise bad("chunk_size out of range")
    if not _is_int(header["plaintext_size"], 1, MAX_PLAINTEXT_SIZE):
        raise bad("plaintext_size out of range")
    expected_count = chunk_count(header["plaintext_size"], header["chunk_size"])
    if not _is_int(header["chunk_count"], expected_count, expected_count):
        raise bad("chunk_count does not match plaintext_size and chunk_size")
    try:  # exactly the §2 encoding, and the fingerprint is of those very bytes (not of a re-export)
        signing_spki = unb64(header["bidder_signing_key"])
        exact_spki(signing_spki, check_p256_key)
    except ValueError as exc:
        raise bad(f"bidder_signing_key: {exc}") from exc
    if hashlib.sha256(signing_spki).hexdigest() != header["bidder_signing_key_fingerprint"]:
        raise bad("bidder_signing_key does not match its fingerprint")
    # Every bad_header rule comes before the wrapped keys: the precedence of docs §8.1.
    for field in ("opening_wrapped_key", "bidder_wrapped_key"):
        try:
            wrapped = unb64(header[field])
        except ValueError as exc:
            raise EnvelopeError("bad_wrapped_key", f"{field}: {exc}") from exc
        if len(wrapped) != WRAPPED_KEY_SIZE:
            raise EnvelopeError("bad_wrapped_key", f"{field} is {len(wrapped)} bytes, not {WRAPPED_KEY_SIZE}")
    return header


def _read_prefix(f, short_code) -> tuple[dict, bytes]:
    try:
        magic = _read(f, len(MAGIC), "bad_magic")
    except EnvelopeError:
        magic = b""
    if magic != MAGIC:
        raise EnvelopeError("bad_magic", "not a sealed-bid/1 envelope")
    length = int.from_bytes(_read(f, 4, short_code), "big")
    if not 2 <= length <= MAX_HEADER_SIZE:
        raise EnvelopeError("bad_header", f"header length {length} out of range")
    header_bytes = _read(f, length, short_code)
    return parse_header(header_bytes), header_bytes


def _remaining(f) -> int | None:
    """Bytes left from the current position, or None for a stream that cannot seek."""
    try:
        if not f.seekable():
            return None
        here = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(here)
        return end - here
    except (AttributeError, OSError):
        return None


def inspect(fileobj: BinaryIO) -> EnvelopeInfo:
    """Read and validate the magic and the header only (no keys, no chunks)."""
    header, header_bytes = _read_prefix(fileobj, "bad_size")
    return EnvelopeInfo(header, header_bytes, envelope_size(header))


def _signing_key(header):
    return load_public_key(unb64(header["bidder_signing_key"]))


def _verify_signature(header, header_bytes, chunks_digest, signature):
    verifier = DSS.new(_signing_key(header), "fips-186-3", encoding="binary")
    try:
        verifier.verify(SHA256.new(signed_message(header_bytes, chunks_digest)), signature)
    except ValueError as exc:
        raise EnvelopeError("bad_signature", "the bidder's signature does not verify") from exc


def _check_expectations(header, signing_key, tender_id, opening_fingerprint):
    if signing_key is not None:
        if isinstance(signing_key, str | bytes):
            signing_key = load_public_key(signing_key)
        if fingerprint(signing_key) != header["bidder_signing_key_fingerprint"]:
            raise EnvelopeError("wrong_signing_key", "the envelope is signed by another key than the bidder's")
    if tender_id is not None and header["tender_id"] != tender_id:
        raise EnvelopeError("wrong_tender", "the envelope is sealed for another tender")
    if opening_fingerprint is not None and header["opening_key_fingerprint"] != opening_fingerprint:
        raise EnvelopeError("wrong_opening_key", "the envelope is sealed to another opening key")


def check_structure(
    fileobj: BinaryIO,
    expected_signing_public_key,
    *,
    expected_tender_id: str | None = None,
    expected_opening_fingerprint: str | None = None,
) -> EnvelopeInfo:
    """The server's check at finalize, without any decryption key: header, exact size, signature.

    `expected_signing_public_key` is the bidder's registered key (key object, PEM or SPKI DER).
    Reads the stream once from its current position; returns the header and the SHA-256 of the envelope.
    """
    if expected_signing_public_key is None:
        raise ValueError("check_structure needs the bidder's registered signing key")
    whole = hashlib.sha256()
    header, header_bytes = _read_prefix(fileobj, "bad_size")
    _check_expectations(header, expected_signing_public_key, expected_tender_id, expected_opening_fingerprint)
    size = envelope_size(header)
    prefix_size = len(MAGIC) + 4 + len(header_bytes)
    remaining = _remaining(fileobj)
    if remaining is not None and remaining != size - prefix_size:
        raise EnvelopeError("bad_size", f"the envelope is {prefix_size + remaining} bytes, the header says {size}")
    whole.update(MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes)
    digests = hashlib.sha256()
    for index in range(header["chunk_count"]):
        record = _read(fileobj, _record_size(header, index), "bad_size")
        whole.update(record)
        digests.update(hashlib.sha256(record).digest())
    signature = _read(fileobj, SIGNATURE_SIZE, "bad_size")
    whole.update(signature)
    if fileobj.read(1):
        raise EnvelopeError("bad_size", "bytes after the signature")
    _verify_signature(header, header_bytes, digests.digest(), signature)
    return EnvelopeInfo(header, header_bytes, size, whole.hexdigest())


def _record_size(header, index):
    return min(header["chunk_size"], header["plaintext_size"] - index * header["chunk_size"]) + TAG_SIZE


# --- opening ---------------------------------------------------------------------------------------


def unwrap(fileobj: BinaryIO, private_key, which: str = "opening", *, expected_signing_public_key=None):
    """Read the cleartext prefix, check it and the envelope's size, and unwrap the content key with
    `private_key` (docs §8.1's checks, in its order). Returns (header, header bytes, content key); the
    stream is left at the first chunk. Every reader of the chunks starts here."""
    if which not in ("opening", "bidder"):
        raise ValueError("which is 'opening' or 'bidder'")
    header, header_bytes = _read_prefix(fileobj, "truncated")
    _check_expectations(header, expected_signing_public_key, None, None)
    prefix_size = len(MAGIC) + 4 + len(header_bytes)
    remaining = _remaining(fileobj)
    if remaining is not None and remaining < envelope_size(header) - prefix_size:
        raise EnvelopeError("truncated", "the envelope is shorter than its header says")
    if remaining is not None and remaining > envelope_size(header) - prefix_size:
        raise EnvelopeError("bad_size", "bytes after the signature")
    field = "opening_key_fingerprint" if which == "opening" else "bidder_encryption_key_fingerprint"
    if not private_key.has_private() or fingerprint(private_key) != header[field]:
        raise EnvelopeError("wrong_key", f"this key is not the envelope's {which} key")
    try:
        content_key = oaep(private_key).decrypt(unb64(header[f"{which}_wrapped_key"]))
    except ValueError as exc:
        raise EnvelopeError("wrong_key", "the wrapped content key does not decrypt with this key") from exc
    if len(content_key) != KEY_SIZE:
        raise EnvelopeError("bad_wrapped_key", "the wrapped content key is not 32 bytes")
    return header, header_bytes, content_key


def open_envelope(fileobj: BinaryIO, private_key, which: str = "opening", *, expected_signing_public_key=None):
    """Start opening an envelope with the opening private key or the bidder's own encryption key.

    Returns an OpenedEnvelope whose manifest is already decrypted; its files() then streams each file.
    Every chunk is authenticated before any of its bytes is handed out; the bidder's signature (by the
    key in the header, and the expected key if given) is checked once the last file has been read,
    so trust the result only when files() ran to its end (or after finish()).
    """
    header, header_bytes, content_key = unwrap(fileobj, private_key, which,
                                               expected_signing_public_key=expected_signing_public_key)
    return OpenedEnvelope(fileobj, header, header_bytes, content_key)


class OpenedEnvelope:
    def __init__(self, fileobj, header, header_bytes, content_key):
        self.header = header
        self.header_bytes = header_bytes
        self.verified = False
        self._f = fileobj
        self._key = content_key
        self._header_sha256 = hashlib.sha256(header_bytes).digest()
        self._prefix = bytes.fromhex(header["nonce_prefix"])
        self._digests = hashlib.sha256()
        self._next = 0  # index of the next chunk to decrypt
        self._buffer = memoryview(b"")
        self._files_started = False
        length = int.from_bytes(self._take(4), "big")
        if length > MAX_MANIFEST_SIZE:
            raise EnvelopeError("bad_manifest", "manifest too large")
        self.manifest = check_manifest(self._take(length), header["plaintext_size"])

    @property
    def bid_letter(self) -> dict:
        return self.manifest["bid_letter"]

    def files(self) -> Iterator[tuple[dict, io.BufferedReader]]:
        """Yield (entry, stream) per file, in order; read each stream before taking the next one."""
        if self._files_started:
            raise RuntimeError("files() can be iterated once")
        self._files_started = True
        for entry in self.manifest["files"]:
            # Buffered, so that read(n) returns n bytes until the end, whatever the chunk boundaries.
            stream = io.BufferedReader(_FileStream(self, entry["size"]))
            yield entry, stream
            while stream.read(1 << 16):  # skip what the caller left unread
                pass
        self.finish()

    def finish(self):
        """Read and authenticate whatever is left, then check the signature. Idempotent."""
        if self.verified:
            return
        while self._next < self.header["chunk_count"] or self._buffer:
            self._buffer = memoryview(b"")
            if self._next < self.header["chunk_count"]:
                self._decrypt_next()
        signature = _read(self._f, SIGNATURE_SIZE, "truncated")
        if self._f.read(1):
            raise EnvelopeError("bad_size", "bytes after the signature")
        _verify_signature(self.header, self.header_bytes, self._digests.digest(), signature)
        self.verified = True

    def _decrypt_next(self):
        index, count = self._next, self.header["chunk_count"]
        record = _read(self._f, _record_size(self.header, index), "truncated")
        self._digests.update(hashlib.sha256(record).digest())
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce(self._prefix, index), mac_len=TAG_SIZE)
        cipher.update(associated_data(self._header_sha256, index, index == count - 1))
        try:
            record = memoryview(record)
            plain = cipher.decrypt_and_verify(record[:-TAG_SIZE], record[-TAG_SIZE:])
        except ValueError as exc:
            raise EnvelopeError("corrupt_chunk", f"chunk {index} fails authentication") from exc
        self._next += 1
        self._buffer = memoryview(plain)

    def _read_into(self, target: memoryview) -> int:
        if not self._buffer:
            if self._next == self.header["chunk_count"]:
                return 0
            self._decrypt_next()
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def _take(self, n: int) -> bytes:
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            step = self._read_into(view[got:])
            if not step:
                raise EnvelopeError("bad_manifest", "the plaintext ends inside the manifest")
            got += step
        return bytes(data)


class _FileStream(io.RawIOBase):
    """One file's plaintext, read through the envelope's chunk buffer (at most one chunk in memory)."""

    def __init__(self, opened: OpenedEnvelope, size: int):
        super().__init__()
        self._opened = opened
        self._left = size

    def readable(self):
        return True

    def readinto(self, b) -> int:
        view = memoryview(b).cast("B")[: self._left]
        if not len(view):
            return 0
        n = self._opened._read_into(view)
        self._left -= n
        return n


def check_manifest(manifest_bytes: bytes, plaintext_size: int) -> dict:
    """The manifest rules of docs §4; the files must fill the plaintext exactly."""
    if len(manifest_bytes) > MAX_MANIFEST_SIZE:
        raise EnvelopeError("bad_manifest", "manifest too large")
    manifest = _strict_json(manifest_bytes, "bad_manifest", "manifest")

    def bad(message):
        return EnvelopeError("bad_manifest", message)

    if not isinstance(manifest, dict) or set(manifest) != {"bid_letter", "files"}:
        raise bad("the manifest has exactly the fields bid_letter and files")
    if not isinstance(manifest["bid_letter"], dict):
        raise bad("the bid letter is a JSON object")
    _check_integers(manifest["bid_letter"])
    files = manifest["files"]
    if not isinstance(files, list) or len(files) > MAX_FILES:
        raise bad(f"files is a list of at most {MAX_FILES} entries")
    names = set()
    for entry in files:
        if not isinstance(entry, dict) or set(entry) != {"media_type", "name", "size"}:
            raise bad("each file has exactly media_type, name and size")
        name, media_type = entry["name"], entry["media_type"]
        if (
            not isinstance(name, str)
            or not 1 <= len(name.encode("utf-8")) <= 255
            or name in (".", "..")
            or _FORBIDDEN_IN_NAME.search(name)
        ):
            raise bad(f"file name {name!r} is not allowed")
        if name in names:
            raise bad(f"file name {name!r} appears twice")
        names.add(name)
        if not isinstance(media_type, str) or not re.fullmatch(r"[\x21-\x7e]{1,255}", media_type):
            raise bad(f"media type {media_type!r} is not allowed")
        if not _is_int(entry["size"], 0, MAX_PLAINTEXT_SIZE):
            raise bad("file size out of range")
    if 4 + len(manifest_bytes) + sum(entry["size"] for entry in files) != plaintext_size:
        raise bad("the file sizes do not add up to the plaintext size")
    return manifest


def _check_integers(value):
    """Integers beyond ±(2^53 − 1) would change value in a browser, so the format refuses them."""
    if isinstance(value, dict):
        for item in value.values():
            _check_integers(item)
    elif isinstance(value, list):
        for item in value:
            _check_integers(item)
    elif type(value) is int and abs(value) > MAX_SAFE_INTEGER:
        raise EnvelopeError("bad_manifest", "an integer in the bid letter is beyond ±(2^53 − 1)")
