"""Uploaded tender documents: a file must be what its name claims, and is hashed while stored."""

import hashlib
from pathlib import PurePath

from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
# extension → (media type, magic prefix)
ALLOWED = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".zip": ("application/zip", ZIP),
    ".doc": ("application/msword", OLE),
    ".xls": ("application/vnd.ms-excel", OLE),
}


def check_document(uploaded):
    """Returns (clean name, media type, size, sha256); the file object is rewound."""
    name = PurePath(uploaded.name or "").name.strip()
    if not name or len(name) > 200:
        raise DomainError("invalid_file_name", _("The file name must have 1 to 200 characters."), field="file")
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED:
        raise DomainError(
            "file_type_not_allowed",
            _("Only PDF, Word, Excel and ZIP files may be uploaded (.pdf .doc .docx .xls .xlsx .zip)."),
            field="file",
        )
    if uploaded.size == 0:
        raise DomainError("empty_file", _("The file is empty."), field="file")
    if uploaded.size > MAX_DOCUMENT_BYTES:
        raise DomainError("file_too_large", _("A tender document may be at most 200 MB."), field="file")
    media_type, magic = ALLOWED[suffix]
    uploaded.seek(0)
    head = uploaded.read(len(magic))
    if head != magic:
        raise DomainError(
            "file_content_mismatch",
            _("The file “%(name)s” is not what its name says: its content is not %(suffix)s.")
            % {"name": name, "suffix": suffix},
            field="file",
        )
    uploaded.seek(0)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return name, media_type, uploaded.size, digest.hexdigest()
