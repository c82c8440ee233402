"""Where sealed envelopes are kept while they arrive and after: Django's default storage.

Parts are written at their offset into a file of the storage (the filesystem storage by default);
an S3-compatible storage would map parts to a multipart upload instead."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

READ_CHUNK = 1024 * 1024


def create(name):
    return default_storage.save(name, ContentFile(b""))


def write_at(name, offset, stream, length, expected_sha256=None, chunk=256 * 1024):
    """Copy `length` bytes from `stream` into the file at `offset`, in bounded memory. Returns
    (bytes written, their SHA-256). On a short read or a hash that differs from `expected_sha256`
    the file is cut back to `offset`, so a broken part leaves no trace."""
    path = default_storage.path(name)
    written = 0
    digest = hashlib.sha256()
    with open(path, "r+b") as out:
        out.seek(offset)
        while written < length:
            data = stream.read(min(chunk, length - written))
            if not data:
                break
            out.write(data)
            digest.update(data)
            written += len(data)
        ok = written == length and (expected_sha256 is None or digest.hexdigest() == expected_sha256)
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
