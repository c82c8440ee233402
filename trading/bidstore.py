"""Where sealed envelopes are kept while they arrive and after: Django's default storage.

Parts are written at their offset into a file of the storage (the filesystem storage by default);
an S3-compatible storage would map parts to a multipart upload instead."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

READ_CHUNK = 1024 * 1024


def create(name):
    return default_storage.save(name, ContentFile(b""))


def write_at(name, offset, stream, length, expected_sha256=None, chunk=1024 * 1024):
    """Copy `length` bytes from `stream` into the file at `offset`, in bounded memory, hashing them as
    they are written: the only write of the part (docs/bid-upload.md). Returns (bytes written, their
    SHA-256): `written` is `length` only for a whole part, more when the stream held more than
    announced, less when it ended early or could not be read.

    The caller holds the upload's row lock and `offset` is what the upload has received, the file's
    end: the part is written past every stored byte. Unless the part is whole (its length, no byte
    more, the expected hash) the file is cut back to `offset`, so a broken part (cut off, damaged,
    too long, or the reading failed) leaves the stored bytes exactly as they were."""
    path = default_storage.path(name)
    written = 0
    digest = hashlib.sha256()
    ok = False
    with open(path, "r+b") as out:
        try:
            out.seek(offset)
            while written < length:
                data = stream.read(min(chunk, length - written))
                if not data:
                    break
                out.write(data)
                digest.update(data)
                written += len(data)
            if written == length and stream.read(1):
                written += 1  # a body longer than announced: damaged, whatever its first bytes hash to
            ok = written == length and (expected_sha256 is None or digest.hexdigest() == expected_sha256)
        except OSError:  # the request's body could not be read (django.http.UnreadablePostError)
            ok, written = False, min(written, length - 1)  # reported as a part cut short
        finally:
            out.flush()
            out.truncate(offset + length if ok else offset)
    return written, digest.hexdigest()


def open_file(name):
    return default_storage.open(name, "rb")


def sha256(name):
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as f:
        while block := f.read(READ_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def size(name):
    return default_storage.size(name)


def delete(name):
    default_storage.delete(name)


def open_for_write(name):
    """A new file of the storage, opened for writing (decrypted documents after the opening)."""
    import os

    path = default_storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return open(path, "wb")  # noqa: SIM115 - the caller closes it
