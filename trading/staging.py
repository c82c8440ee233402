"""An attached file kept across a failed save of the tender form, so the user need not choose it again.

The upload is checked (trading/files.py `check_document`: name, type, size, content) and written under
VAR_DIR/staged-uploads/<user id>/<random key>; the page carries a signed token naming the user, the key
and the file's name in a hidden field. Only the user who staged a file can use it; a token is good for a
day, and files older than a day are removed whenever a file is staged or taken (and by
`manage.py sweep_staged_uploads`, for a quiet platform); a user keeps at most PER_USER files. Nothing here is a record
of the platform: a staged file becomes a tender document only through `actions.add_document`, which
checks it again.
"""

import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files import File

from .files import check_document

SALT = "trading.staged-upload"
MAX_AGE_S = 24 * 3600
PER_USER = 3  # files kept per user at most (the newest): repeated failed saves cannot fill the disk
KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Staged:
    token: str
    name: str
    path: Path

    def open(self):
        """The file as `actions.add_document` takes it (name, size, read, seek, chunks). Close it after."""
        return File(self.path.open("rb"), name=self.name)


def _root():
    return Path(settings.VAR_DIR) / "staged-uploads"


def sweep(now=None):
    """Remove staged files (and emptied folders) older than a day."""
    root = _root()
    if not root.is_dir():
        return
    limit = (now or time.time()) - MAX_AGE_S
    for folder in root.iterdir():
        for item in folder.iterdir() if folder.is_dir() else ():
            try:
                if item.stat().st_mtime < limit:
                    item.unlink()
            except FileNotFoundError:
                pass  # removed by a concurrent sweep
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass


def stage(user, uploaded):
    """Keep `uploaded` for `user`; raises the DomainError of `check_document` for a file it refuses."""
    name = check_document(uploaded)[0]
    sweep()
    key = secrets.token_hex(16)
    folder = _root() / str(user.pk)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / key
    with path.open("wb") as out:
        uploaded.seek(0)
        shutil.copyfileobj(uploaded, out)
    uploaded.seek(0)
    for old in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)[PER_USER:]:
        old.unlink(missing_ok=True)
    token = signing.dumps({"u": user.pk, "k": key, "n": name}, salt=SALT, compress=True)
    return Staged(token=token, name=name, path=path)


def take(user, token):
    """The file `token` names, if it is `user`'s, younger than a day and still there; else None."""
    if not token:
        return None
    sweep()
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_S)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk or not KEY.match(str(data.get("k"))):
        return None
    path = _root() / str(user.pk) / data["k"]
    if not path.is_file():
        return None
    return Staged(token=token, name=str(data.get("n") or ""), path=path)


def discard(staged):
    if staged is not None:
        staged.path.unlink(missing_ok=True)
