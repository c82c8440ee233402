"""Open a sealed-bid/1 envelope in one pass: each chunk is read once, authenticated, decrypted into a
reused buffer and handed out; the caller hashes and writes it before the next chunk overwrites it.

The same checks as `envelope.open_envelope`, in the same order and with the same error codes (docs/sealed-bid-format.md
§8): the prefix and the key are envelope.py's `unwrap`, the manifest its `check_manifest`.
`open_envelope` stays the reference reader (bounded memory, file-like streams per file); this one is the
opening's fast path: no per-read copies, no buffered readers, one allocation per envelope.

    opened = StreamOpening(fileobj, private_key)           # header, wrapped key, manifest: checked
    opened.bid_letter                                      # decrypted, not yet trusted
    for index, piece in opened.pieces():                   # (file index, memoryview); an empty piece
        ...                                                # starts each file, so empty files show too
    # pieces() ran to its end: every chunk authenticated and the bidder's signature verified

`open_to_files` writes each file as it comes and returns their SHA-256, hashed in that same pass.
"""

import hashlib
import os
from collections.abc import Callable, Iterator
from typing import BinaryIO

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Signature import DSS

from . import envelope
from .envelope import (
    MAX_MANIFEST_SIZE,
    SIGNATURE_SIZE,
    TAG_SIZE,
    EnvelopeError,
    associated_data,
    nonce,
    signed_message,
)
from .keys import load_public_key, unb64


def _read_exactly(f, view: memoryview, short_code: str):
    got, n = 0, len(view)
    readinto = getattr(f, "readinto", None)
    while got < n:
        if readinto is not None:
            step = readinto(view[got:])
        else:
            data = f.read(n - got)
            step = len(data or b"")
            view[got : got + step] = data or b""
        if not step:
            raise EnvelopeError(short_code, f"the envelope ends early (wanted {n} more bytes, got {got})")
        got += step


def _take(f, n: int, short_code: str) -> bytes:
    data = bytearray(n)
    _read_exactly(f, memoryview(data), short_code)
    return bytes(data)


class StreamOpening:
    """An envelope being opened with the opening key (`which="opening"`) or the bidder's own key."""

    def __init__(self, fileobj: BinaryIO, private_key, which: str = "opening"):
        self._f = fileobj
        # The prefix checks and the unwrapping are envelope.py's, in the order of docs §8.1.
        self.header, self.header_bytes, key = envelope.unwrap(fileobj, private_key, which)
        self.verified = False
        self._chunks = self._decrypted_chunks(key)
        self._rest = memoryview(b"")
        self.manifest = self._read_manifest()
        self._started = False

    @property
    def bid_letter(self) -> dict:
        return self.manifest["bid_letter"]

    def _decrypted_chunks(self, key) -> Iterator[memoryview]:
        """Each chunk's plaintext, authenticated, in one buffer reused for the next chunk."""
        header = self.header
        size, total, count = header["chunk_size"], header["plaintext_size"], header["chunk_count"]
        header_sha256 = hashlib.sha256(self.header_bytes).digest()
        prefix = bytes.fromhex(header["nonce_prefix"])
        self._digests = hashlib.sha256()
        record, plain = memoryview(bytearray(size + TAG_SIZE)), memoryview(bytearray(size))
        for index in range(count):
            n = min(size, total - index * size)
            _read_exactly(self._f, record[: n + TAG_SIZE], "truncated")
            self._digests.update(hashlib.sha256(record[: n + TAG_SIZE]).digest())
            cipher = AES.new(key, AES.MODE_GCM, nonce=nonce(prefix, index), mac_len=TAG_SIZE)
            cipher.update(associated_data(header_sha256, index, index == count - 1))
            try:
                cipher.decrypt_and_verify(record[:n], record[n : n + TAG_SIZE], output=plain[:n])
            except ValueError as exc:
                raise EnvelopeError("corrupt_chunk", f"chunk {index} fails authentication") from exc
            yield plain[:n]

    def _next_bytes(self, n: int, short: Callable[[], EnvelopeError]) -> memoryview:
        """Up to `n` plaintext bytes (at least one), valid until the next call."""
        if not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise short()
            self._rest = chunk
        piece, self._rest = self._rest[:n], self._rest[n:]
        return piece

    def _manifest_bytes(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            out += self._next_bytes(n - len(out), lambda: EnvelopeError(
                "bad_manifest", "the plaintext ends inside the manifest"))
        return bytes(out)

    def _read_manifest(self) -> dict:
        length = int.from_bytes(self._manifest_bytes(4), "big")
        if length > MAX_MANIFEST_SIZE:
            raise EnvelopeError("bad_manifest", "manifest too large")
        # The manifest rules of docs §4 live in envelope.py; one copy of them, not two.
        return envelope.check_manifest(self._manifest_bytes(length), self.header["plaintext_size"])

    def pieces(self) -> Iterator[tuple[int, memoryview]]:
        """(file index, plaintext piece) in order; each piece is valid until the next one is taken. Every
        file starts with an empty piece. The signature is verified after the last piece: trust nothing
        written before this generator has finished."""
        if self._started:
            raise RuntimeError("pieces() can be iterated once")
        self._started = True
        for index, entry in enumerate(self.manifest["files"]):
            yield index, memoryview(b"")
            left = entry["size"]
            while left:
                # The manifest's sizes add up to the plaintext size: the chunks cannot end first.
                piece = self._next_bytes(left, lambda: EnvelopeError("truncated", "the plaintext ends early"))
                left -= len(piece)
                yield index, piece
        self.finish()

    def finish(self):
        """Authenticate whatever is left, then check the signature. Idempotent."""
        if self.verified:
            return
        for _ in self._chunks:
            pass
        self._rest = memoryview(b"")
        signature = _take(self._f, SIGNATURE_SIZE, "truncated")
        if self._f.read(1):
            raise EnvelopeError("bad_size", "bytes after the signature")
        verifier = DSS.new(load_public_key(unb64(self.header["bidder_signing_key"])), "fips-186-3", encoding="binary")
        try:
            verifier.verify(SHA256.new(signed_message(self.header_bytes, self._digests.digest())), signature)
        except ValueError as exc:
            raise EnvelopeError("bad_signature", "the bidder's signature does not verify") from exc
        self.verified = True


def open_to_files(
    fileobj: BinaryIO,
    private_key,
    path_for: Callable[[int], str],
    *,
    which: str = "opening",
    progress: Callable[[int], None] | None = None,
    progress_every: int = 8 << 20,
) -> tuple[dict, list[dict]]:
    """Decrypt every file of the envelope to `path_for(index)`, hashing each piece as it is written.

    Returns (bid letter, [{name, media_type, size, sha256, path}]) once the signature has verified.
    `progress(bytes of the envelope read)` is called every `progress_every` bytes. On any error the files
    written so far are removed and the error is raised (EnvelopeError, or OSError from storage)."""
    written, files = [], []
    out, digest, next_report = None, None, progress_every
    tell = getattr(fileobj, "tell", None)
    try:
        opened = StreamOpening(fileobj, private_key, which)
        entries = opened.manifest["files"]
        for index, piece in opened.pieces():
            if not piece:  # a file starts
                if out is not None:
                    out.close()
                path = path_for(index)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                out = open(path, "wb", buffering=0)  # noqa: SIM115 - closed at the next file or below
                written.append(path)
                digest = hashlib.sha256()
                entry = entries[index]
                files.append({"name": entry["name"], "media_type": entry.get("media_type", ""),
                              "size": entry["size"], "sha256": None, "path": path, "_digest": digest})
                continue
            digest.update(piece)
            while piece:  # a raw file may take less than asked
                piece = piece[out.write(piece):]
            if progress is not None and tell is not None and (done := tell()) >= next_report:
                progress(done)
                next_report = done + progress_every
        if out is not None:
            out.close()
            out = None
    except BaseException:
        if out is not None:
            out.close()
        for path in written:
            try:
                os.remove(path)
            except OSError:
                pass
        raise
    for f in files:
        f["sha256"] = f.pop("_digest").hexdigest()
    return opened.bid_letter, files
