"""Backup and restore of a whole platform: the database, the stored files and the PKI directory
(`manage.py backup DIR` / `manage.py restore DIR`, docs/operations.md).

A backup directory holds `manifest.json`, the database (`database.dump`, PostgreSQL's custom format, or
`database.sqlite3`), `media/` (Django's default storage: the bid store with uploads still arriving,
decrypted documents, signed records) and `pki/` (the platform root CA and seal, keys encrypted under
PKI_PASSPHRASE, which is never written here). The manifest names every file with its size and SHA-256,
and the trading log's head at backup time; restore checks every file before it changes anything.

Nothing here imports a domain app: the commands ask other commands by name (verify_ledger).
"""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.storage.filesystem import FileSystemStorage
from django.db import connection, connections

FORMAT = "bzggzy-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
DUMP_NAMES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
# What a backup deliberately leaves out: operators keep these elsewhere (docs/operations.md).
NOT_INCLUDED = [
    "PKI_PASSPHRASE (keep it separately: without it the PKI keys in pki/ cannot be used)",
    "SECRET_KEY (sessions and password-reset links are signed with it)",
    "static files (rebuilt by collectstatic)",
    "the Redis cache and channel layer (nothing durable lives there)",
]


class BackupError(Exception):
    pass


# --- Files ------------------------------------------------------------------------------------------

def copy_hashed(source, target: Path):
    """Copy an open binary stream to `target` in CHUNK pieces; returns (size, SHA-256)."""
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        while block := source.read(CHUNK):
            out.write(block)
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def file_hash(path: Path):
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def areas():
    """The directories a platform keeps state in, by their name inside a backup."""
    if not isinstance(default_storage, FileSystemStorage):
        raise BackupError(f"the default storage is {type(default_storage).__name__}, not a file system: "
                          "back its bucket up with the storage's own tools")
    return {"media": Path(default_storage.location), "pki": Path(settings.PKI_DIR)}


def walk(root: Path, skip=()):
    """Every regular file under `root`, in a stable order, leaving out the directories in `skip`."""
    skip = {p.resolve() for p in skip}
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip and not (here / d).is_symlink())
        for name in sorted(files):
            path = here / name
            if path.is_file() and not path.is_symlink():
                yield path


def has_files(root: Path) -> bool:
    return root.is_dir() and next(walk(root), None) is not None


def safe_relative(name: str) -> PurePosixPath:
    """A manifest path, refused if it could point outside the backup or the target directory."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(part in ("..", "") for part in path.parts):
        raise BackupError(f"the manifest names an unsafe path: {name!r}")
    return path


# --- The database -------------------------------------------------------------------------------------

def vendor():
    if connection.vendor not in DUMP_NAMES:
        raise BackupError(f"databases of kind {connection.vendor} are not supported")
    return connection.vendor


def _pg_command(program, extra):
    """`program` with the connection settings of the database in use (under pytest: the test database)."""
    from django.db.backends.postgresql.client import DatabaseClient

    params = connection.settings_dict
    env = DatabaseClient.settings_to_cmd_args_env(params, [])[1]  # password, service, SSL files
    args = [shutil.which(program) or program]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if params.get(key):
            args += [flag, str(params[key])]
    return [*args, *extra], {**os.environ, **(env or {})}


def _run(command, env):
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed on this machine") from None
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def dump_database(target: Path):
    """A consistent snapshot of the whole database into `target`."""
    if vendor() == "postgresql":
        command, env = _pg_command("pg_dump", ["--format=custom", f"--file={target}",
                                               f"--dbname={connection.settings_dict['NAME']}"])
        _run(command, env)
        return
    source = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    out = sqlite3.connect(target)
    try:
        with out:
            source.backup(out, pages=1024)  # SQLite's online backup: a snapshot while others write
    finally:
        out.close()
        source.close()


def restore_database(source: Path):
    """Replace the configured database's content by the dump. Django's connections are closed first, so
    no open transaction or lock of this process stands in the way."""
    connections.close_all()
    if vendor() == "postgresql":
        # One transaction: a restore that fails half-way leaves the database as it was.
        command, env = _pg_command("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                                                  "--exit-on-error", f"--dbname={connection.settings_dict['NAME']}",
                                                  str(source)])
        _run(command, env)
        return
    # The backup API in reverse copies the file back page by page under SQLite's own lock, which a
    # plain file copy over a database in use (or beside its -wal file) would not.
    dump = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    try:
        with target:
            dump.backup(target)
    finally:
        target.close()
        dump.close()


def database_is_empty() -> bool:
    """No trading log entry and no user: a database just migrated (or not even that)."""
    from django.contrib.auth import get_user_model

    from .models import Entry

    tables = set(connection.introspection.table_names())
    models = [m for m in (Entry, get_user_model()) if m._meta.db_table in tables]
    return not any(m.objects.exists() for m in models)


# --- The trading log's head -----------------------------------------------------------------------------

def ledger_head():
    """The chain head and the integrated Merkle tree (size and root) as stored now; reads only."""
    from . import chain, tree

    seq, head_hash = chain.head()
    size = tree.integrated_size()
    return {"seq": seq, "hash": head_hash, "tree_size": size, "root": tree.root(size).hex()}


# --- The manifest -----------------------------------------------------------------------------------------

@dataclass
class Manifest:
    data: dict

    @classmethod
    def new(cls, db_vendor, head):
        return cls({"format": FORMAT, "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
                    "database": {"vendor": db_vendor, "file": DUMP_NAMES[db_vendor]}, "ledger": head,
                    "not_included": NOT_INCLUDED, "files": []})

    def add(self, name, size, digest, mode=None):
        item = {"path": name, "size": size, "sha256": digest}
        if mode is not None:
            item["mode"] = mode  # the PKI's keys stay 0600 once restored
        self.data["files"].append(item)

    def write(self, directory: Path):
        """Written last, through a rename: a backup cut short has no manifest and cannot be restored."""
        partial = directory / (MANIFEST + ".partial")
        partial.write_text(json.dumps(self.data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        partial.replace(directory / MANIFEST)

    @staticmethod
    def digest(directory: Path) -> str:
        return file_hash(directory / MANIFEST)[1]

    @classmethod
    def read(cls, directory: Path):
        try:
            data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError(f"{directory} holds no {MANIFEST}: not a backup, or one that did not finish") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackupError(f"{MANIFEST} is damaged: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("ledger"), dict):
            raise BackupError(f"{MANIFEST} is not of format {FORMAT}")
        return cls(data)

    def check(self, directory: Path, progress):
        """Every listed file is there with its size and SHA-256, and nothing is missing from the list
        that a restore needs. Raises BackupError naming the first file that differs."""
        listed = {}
        try:
            for item in self.data["files"]:
                safe_relative(item["path"])
                int(item["size"]), str(item["sha256"])
                listed[item["path"]] = item
            db_file = self.data["database"]["file"]
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"{MANIFEST} is damaged: {exc!r}") from None
        if db_file not in listed:
            raise BackupError(f"the manifest lists no database file {db_file}")
        for number, (name, item) in enumerate(listed.items(), start=1):
            path = directory / name
            if not path.is_file():
                raise BackupError(f"{name} is missing from the backup")
            size, digest = file_hash(path)
            if (size, digest) != (item["size"], item["sha256"]):
                raise BackupError(f"{name} is damaged: SHA-256 {digest} ({size} bytes), the manifest says "
                                  f"{item['sha256']} ({item['size']} bytes)")
            if number % 100 == 0:
                progress(f"  checked {number} of {len(listed)} files")
        return listed
