#!/usr/bin/env python3
"""Bidder CLI: make your keys, seal a bid on your own machine, check it, submit it, check the receipt.

    python tools/bidder.py keygen --out bidder-key.json
    python tools/bidder.py seal --key bidder-key.json --opening-key tender.pem --tender T-2025-001 \\
        --letter letter.json --out bid.sealed tech.pdf price.xlsx
    python tools/bidder.py check --key bidder-key.json bid.sealed [--extract DIR] [--server URL --tender 42]
    BZ_TOKEN=bzt_… python tools/bidder.py submit --server https://ggzy.example --tender 42 bid.sealed
    python tools/bidder.py verify-receipt bid.sealed.receipt.json [--ca ca.pem] [--envelope bid.sealed]
    python tools/bidder.py status --server … --upload UUID;  withdraw --server … --bid ID

Needs only Python 3.11 and pycryptodome (the standard library speaks HTTP); keygen, seal and check
send nothing anywhere. verify-receipt also needs `cryptography` to check the seal certificate's chain.
Format: docs/sealed-bid-format.md.
"""

import argparse
import datetime
import getpass
import hashlib
import http.client
import json
import mimetypes
import os
import ssl
import sys
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

if __package__ in (None, ""):  # run as `python tools/bidder.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from Crypto.Hash import SHA256  # noqa: E402
from Crypto.PublicKey import RSA  # noqa: E402
from Crypto.Signature import pss  # noqa: E402
from Crypto.Signature.pss import MGF1  # noqa: E402

from trading.sealing import envelope, keys  # noqa: E402
from trading.sealing import letter as bid_form  # noqa: E402
from trading.sealing.ceremony import CeremonyError  # noqa: E402

# --- helpers shared with tools/custodian.py ---------------------------------------------------------


class CliError(Exception):
    pass


def add_passphrase_options(parser, creating=False):
    parser.add_argument("--passphrase-file", type=Path, help="read the passphrase from the first line of this file")
    if creating:
        parser.add_argument("--no-passphrase", action="store_true", help="store the private keys unencrypted")


def _passphrase_from_file(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0]:
        raise CliError(f"{path}: empty passphrase file")
    return lines[0]


def new_passphrase(args) -> str | None:
    if args.no_passphrase:
        return None
    if args.passphrase_file:
        return _passphrase_from_file(args.passphrase_file)
    first = getpass.getpass("Passphrase for the new key file: ")
    if not first or first != getpass.getpass("Repeat the passphrase: "):
        raise CliError("the passphrases are empty or differ")
    return first


def read_key_file(path: Path, args, kind=None):
    data = path.read_bytes()
    passphrase = None
    given = keys.key_file_kind(data)
    if kind and given and given != kind:  # say so before asking for a passphrase
        raise CliError(f"{path} is a {given} key file, not a {kind} key file")
    if keys.is_protected(data):
        if args.passphrase_file:
            passphrase = _passphrase_from_file(args.passphrase_file)
        else:
            passphrase = getpass.getpass(f"Passphrase for {path}: ")
    return keys.load_key_file(data, passphrase, kind=kind)


def write_new_file(path: Path, data: bytes, mode=0o600):
    """Create the file, never overwrite one: a lost private key cannot be made again."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise CliError(f"{path} already exists; choose another name") from exc
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def say(*parts):
    print(*parts, flush=True)


def run(handler, args) -> int:
    try:
        handler(args)
    except KeyboardInterrupt:
        return 130
    except ReceiptInvalid as exc:
        print(f"RECEIPT NOT VALID: {exc}", file=sys.stderr)
        return 1
    except (envelope.EnvelopeError, keys.KeyFileError, CeremonyError) as exc:
        print(f"error ({exc.code}): {exc}", file=sys.stderr)
        return 1
    except (CliError, ValueError, TypeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def human(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


# --- keygen -------------------------------------------------------------------------------------------


def cmd_keygen(args):
    if args.out.exists():  # before the passphrase prompt and the slow key generation
        raise CliError(f"{args.out} already exists; choose another name")
    passphrase = new_passphrase(args)
    say("generating an ECDSA P-256 signing key and an RSA-OAEP-3072 encryption key…")
    bidder = keys.generate_bidder_keys()
    write_new_file(args.out, keys.dump_key_file(bidder, passphrase))
    say(f"wrote {args.out} ({'protected by your passphrase' if passphrase else 'NOT protected by a passphrase'})")
    say("keep it safe: without it you cannot check your own sealed bids")
    say(f"signing key fingerprint:    {keys.fingerprint(bidder.signing)}")
    say(f"encryption key fingerprint: {keys.fingerprint(bidder.encryption)}")
    say("public keys to register on the platform:")
    say(keys.public_pem(bidder.signing))
    say(keys.public_pem(bidder.encryption))


# --- seal ---------------------------------------------------------------------------------------------


def _read_letter(path: Path) -> dict:
    def no_float(text):
        raise CliError(f"{path}: {text} is not an integer (money is in fen, durations in days)")

    letter = json.loads(path.read_text(encoding="utf-8"), parse_float=no_float)
    if not isinstance(letter, dict):
        raise CliError(f"{path}: the bid letter is a JSON object")
    return letter


class _Progress:
    """One line per tenth of the bid (or per chunk when there are few): readable in a log, not a flood."""

    def __init__(self, chunk_size):
        self.chunk_size, self.done, self.shown = chunk_size, 0, -1

    def __call__(self, done_bytes, total_bytes):
        self.chunks = envelope.chunk_count(total_bytes, self.chunk_size)
        self.done += 1
        tenth = self.done * 10 // self.chunks
        if self.chunks <= 10 or tenth != self.shown:
            self.shown = tenth
            say(
                f"  chunk {self.done}/{self.chunks}  {human(done_bytes)} of {human(total_bytes)}"
                f"  {done_bytes * 100 // total_bytes}%"
            )


def cmd_seal(args):
    if args.out.exists():
        raise CliError(f"{args.out} already exists")
    say(f"[1/5] key file {args.key}")
    bidder = read_key_file(args.key, args, kind="bidder")
    say(f"      signing key {keys.fingerprint(bidder.signing)}")
    opening_key = keys.check_rsa_key(keys.load_public_key(args.opening_key.read_text(encoding="ascii")))
    opening_fingerprint = keys.fingerprint(opening_key)
    say(f"[2/5] opening key of tender {args.tender}: {opening_fingerprint}")
    if args.opening_fingerprint and args.opening_fingerprint.lower() != opening_fingerprint:
        raise CliError("the opening key does not have the fingerprint published with the tender")
    letter = _read_letter(args.letter)
    names = [path.name for path in args.files]
    if len(set(names)) != len(names):
        raise CliError("two files have the same name")
    say(f"[3/5] bid letter {args.letter} ({len(letter)} fields) and {len(args.files)} file(s):")
    part = args.out.with_name(args.out.name + ".part")
    with ExitStack() as stack:
        files = []
        for path in args.files:
            stream = stack.enter_context(path.open("rb"))
            size = os.fstat(stream.fileno()).st_size
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            files.append(envelope.PlainFile(path.name, stream, size, media_type))
            say(f"      {path.name}  {human(size)}  {media_type}")
        total = sum(f.size for f in files)
        say(f"[4/5] sealing {human(total)} in chunks of {human(args.chunk_size)}")
        out = stack.enter_context(part.open("xb"))
        try:
            info = envelope.seal(
                out,
                bid_letter=letter,
                files=files,
                tender_id=args.tender,
                opening_public_key=opening_key,
                bidder=bidder,
                chunk_size=args.chunk_size,
                progress=_Progress(args.chunk_size),
            )
        except BaseException:
            out.close()
            part.unlink()
            raise
    part.rename(args.out)
    say(f"[5/5] wrote {args.out}: {info.size} bytes, {info.header['chunk_count']} chunks")
    say(f"      SHA-256 {info.sha256}")
    say("      check it with: python tools/bidder.py check --key", args.key, args.out)


# --- check --------------------------------------------------------------------------------------------


def _bid_form(args, tender_code: str) -> list[dict]:
    """The tender's bid form fields from the platform (public), or the platform's standard form."""
    if not args.server:
        return bid_form.STANDARD_FIELDS
    if args.tender is None:
        raise CliError("--server needs --tender, the tender's number in its address on the platform")
    platform = Platform(args.server, None)
    try:
        tender = platform.call("GET", f"/api/tenders/{args.tender}/")
    finally:
        platform.close()
    if tender.get("code") != tender_code:
        raise CliError(f"tender {args.tender} is {tender.get('code')}, but this envelope is sealed for {tender_code}")
    return tender["bid_letter_fields"]


def cmd_check(args):
    if args.tender is not None and not args.server:
        raise CliError("--tender needs --server")
    bidder = read_key_file(args.key, args, kind="bidder")
    with args.envelope.open("rb") as f:
        info = envelope.check_structure(f, bidder.signing)
    header = info.header
    say(f"structure and signature OK: {info.size} bytes, {header['chunk_count']} chunks")
    say(f"SHA-256          {info.sha256}")
    say(f"tender           {header['tender_id']}")
    say(f"opening key      {header['opening_key_fingerprint']}")
    fields = _bid_form(args, header["tender_id"])
    if args.extract:
        args.extract.mkdir(parents=True, exist_ok=True)
    with args.envelope.open("rb") as f:
        opened = envelope.open_envelope(f, bidder.encryption, "bidder", expected_signing_public_key=bidder.signing)
        say("bid letter (投标函):")
        for label, value in bid_form.letter_lines(opened.bid_letter, fields):
            say(f"  {label}: {value}")
        say(f"files ({len(opened.manifest['files'])}):")
        for entry, stream in opened.files():
            say(f"  {entry['name']}  {entry['size']} bytes  {entry['media_type']}")
            if args.extract:
                with (args.extract / entry["name"]).open("xb") as target:  # names are checked: no separators
                    while data := stream.read(1 << 20):
                        target.write(data)
    say("all chunks decrypt and authenticate with your key; the envelope is complete")
    if args.extract:
        say(f"files extracted to {args.extract}")


# --- talking to the platform (standard library HTTP) --------------------------------------------------

TOKEN_ENV = "BZ_TOKEN"  # noqa: S105 - the name of a variable, not a secret
# Worth another try: the network, a proxy or a server restart; anything else is the platform's answer.
TRANSIENT_STATUSES = {429, 500, 502, 503, 504}
RETRIES = 8  # consecutive failures before giving up (the next run resumes anyway)
BACKOFF_BASE = 1.0  # seconds before the first retry, doubled each time up to BACKOFF_MAX
BACKOFF_MAX = 30.0
TIMEOUT = 60  # seconds without a byte from the server
FINALIZE_TIMEOUT = 900  # the server reads the whole envelope once more before it answers


class Refused(CliError):
    """The platform said no: its stable code and its message (docs: errors are {"code", "detail"})."""

    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body
        self.code = body.get("code") or f"http_{status}"
        detail = body.get("detail") or body.get("errors") or http.client.responses.get(status, "")
        super().__init__(f"the platform refused ({self.code}): {detail}")


class Transient(Exception):
    """A failure worth retrying: the connection broke, timed out, or the server was briefly unavailable."""


class Platform:
    """One keep-alive connection to the platform's API, authenticated by a personal token."""

    def __init__(self, server: str, token: str | None, *, timeout: float = TIMEOUT):
        parts = urllib.parse.urlsplit(server)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CliError(f"--server {server!r}: give the platform's address, e.g. https://ggzy.example.cn")
        self.server = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._scheme, self._netloc, self._prefix = parts.scheme, parts.netloc, parts.path.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._conn = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self, timeout):
        if self._conn is None:
            if self._scheme == "https":
                self._conn = http.client.HTTPSConnection(
                    self._netloc, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                self._conn = http.client.HTTPConnection(self._netloc, timeout=timeout)
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body=None,
        data: bytes | None = None,
        headers=None,
        timeout: float | None = None,
    ) -> tuple[int, dict]:
        """One attempt. Returns (status, JSON body) for any answer but a transient one; raises Transient."""
        headers = {"Accept": "application/json", **(headers or {})}
        if self._token:
            headers["Authorization"] = f"Token {self._token}"
        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn = self._connection(timeout or self._timeout)
            conn.request(method, self._prefix + path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException) as exc:  # reset, refused, timed out, cut mid-answer
            self.close()
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {"results": payload}
        if response.status in TRANSIENT_STATUSES:
            raise Transient(f"HTTP {response.status} {payload.get('code', response.reason)}")
        return response.status, payload

    def call(self, method: str, path: str, *, ok=(200, 201), retry=True, **kwargs) -> dict:
        """A request whose repetition is harmless, retried with backoff; raises Refused on a refusal."""
        for attempt in Retry(RETRIES if retry else 1):
            with attempt:
                status, body = self.request(method, path, **kwargs)
                if status not in ok:
                    raise Refused(status, body)
                return body
        raise AssertionError("unreachable")


class Retry:
    """`for attempt in Retry(): with attempt: …` retries the block on Transient, with backoff."""

    def __init__(self, tries: int = RETRIES):
        self.tries, self.failures, self.done = tries, 0, False

    def __iter__(self):
        while not self.done:
            yield self

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.done = True
            return False
        if not issubclass(exc_type, Transient):
            return False
        self.failures += 1
        if self.failures >= self.tries:
            raise CliError(
                f"giving up after {self.failures} failed attempts ({exc}); run the same command "
                "again later: it resumes where the platform stopped"
            ) from exc
        backoff(self.failures, exc)
        return True


def backoff(failures: int, reason):
    delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (failures - 1))
    say(f"  network trouble ({reason}); retrying in {delay:g} s")
    time.sleep(delay)


def platform_from(args) -> Platform:
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        raise CliError(
            f"give your API token with --token or the {TOKEN_ENV} environment variable "
            "(make one on the platform's “密钥与令牌 / Keys and API tokens” page, /accounts/security/)"
        )
    if not 1 <= args.timeout <= 3600:
        raise CliError("--timeout: give between 1 and 3600 seconds")
    platform = Platform(args.server, token, timeout=args.timeout)
    host = urllib.parse.urlsplit(platform.server).hostname
    if platform.server.startswith("http://") and host not in ("127.0.0.1", "localhost", "::1"):
        say(f"warning: {platform.server} is not https: your token and bid travel unprotected")
    return platform


# --- submit -------------------------------------------------------------------------------------------

STATE_FORMAT = "bidder-upload-state/1"
RECEIPT_FILE_FORMAT = "bid-receipt-file/1"
HASH_BLOCK = 1 << 20


def state_path(envelope_path: Path) -> Path:
    return envelope_path.with_name(envelope_path.name + ".upload.json")


def receipt_path(envelope_path: Path) -> Path:
    """ENVELOPE.receipt.json, or ENVELOPE.receipt-2.json…: a receipt is evidence, never overwritten."""
    path, n = envelope_path.with_name(envelope_path.name + ".receipt.json"), 1
    while path.exists():
        n += 1
        path = envelope_path.with_name(f"{envelope_path.name}.receipt-{n}.json")
    return path


def _write_json_atomically(path: Path, doc: dict):
    # Replace, never rewrite in place: a run killed mid-write must not leave half a state file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_exactly(f, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise CliError("the envelope file changed while it was being sent (it is shorter now)")
    return data


class _FileHash:
    """SHA-256 of the envelope file, fed in order as its bytes go out; catches up from disk on resume."""

    def __init__(self, f, size):
        self.f, self.size, self.upto, self.hash = f, size, 0, hashlib.sha256()

    def feed(self, offset: int, data: bytes):
        """`data` is the file's bytes at `offset`; hash the part beyond what is hashed already."""
        self.catch_up(offset)
        if offset <= self.upto < offset + len(data):
            self.hash.update(memoryview(data)[self.upto - offset :])
            self.upto = offset + len(data)

    def catch_up(self, offset: int):
        if self.upto >= offset:
            return
        here = self.f.tell()
        self.f.seek(self.upto)
        while self.upto < offset:
            block = _read_exactly(self.f, min(HASH_BLOCK, offset - self.upto))
            self.hash.update(block)
            self.upto += len(block)
        self.f.seek(here)

    def hexdigest(self) -> str:
        self.catch_up(self.size)
        return self.hash.hexdigest()


class _UploadProgress:
    """One line per part: bytes, percentage, rate of this run, time left."""

    def __init__(self, size: int, part_size: int, start: int):
        self.size, self.part_size, self.start, self.t0 = size, part_size, start, time.monotonic()
        self.parts = -(-size // part_size)

    def __call__(self, received: int):
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        rate = (received - self.start) / elapsed
        eta = (self.size - received) / rate if rate > 0 else 0
        say(
            f"  part {-(-received // self.part_size)}/{self.parts}  {human(received)} of {human(self.size)}"
            f"  {received * 100 // self.size}%  {rate / 1e6:.1f} MB/s  ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        )


def _check_envelope_for(tender: dict, path: Path) -> tuple[dict, int]:
    """The envelope's header against what the platform publishes for the tender, before any byte is sent."""
    with path.open("rb") as f:
        info = envelope.inspect(f)
        size = os.fstat(f.fileno()).st_size
    header = info.header
    if size != info.size:
        raise CliError(f"{path} is {size} bytes but its header says {info.size}: an incomplete or damaged file")
    opening = tender.get("opening_key") or {}
    if header["tender_id"] != tender.get("code"):
        raise CliError(f"{path} is sealed for tender {header['tender_id']!r}, not {tender.get('code')!r}")
    if header["opening_key_fingerprint"] != opening.get("fingerprint"):
        raise CliError(
            f"{path} is sealed to opening key {header['opening_key_fingerprint']}, but the tender's "
            f"opening key is {opening.get('fingerprint')}: seal it again with the published key"
        )
    return header, size


def _load_state(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        say(f"ignoring {path}: unreadable")
        return None
    return state if isinstance(state, dict) and state.get("format") == STATE_FORMAT else None


def _find_bid_of_upload(platform: Platform, tender_id: int, upload_id: str) -> dict | None:
    """The bid an earlier run finalized but never heard about: its receipt names the upload."""
    path = f"/api/bids/?tender={tender_id}"
    while path:
        page = platform.call("GET", path)
        for bid in page.get("results", []):
            try:
                if json.loads(bid.get("receipt") or "{}").get("upload") == upload_id:
                    return bid
            except ValueError:
                continue
        following = page.get("next")
        path = urllib.parse.urlsplit(following)._replace(scheme="", netloc="").geturl() if following else None
        if path and platform._prefix and path.startswith(platform._prefix):
            path = path[len(platform._prefix) :]
    return None


def submit_envelope(
    platform: Platform, tender_id: int, path: Path, *, part_size: int | None = None, on_part=None
) -> dict:
    """Upload the envelope at `path` for tender `tender_id` (resuming an earlier run), finalize it,
    write and verify the receipt file. Returns the receipt file's content.

    `on_part(received)` is called after each part the platform accepted (tests use it to interrupt).
    """
    tender = platform.call("GET", f"/api/tenders/{tender_id}/")
    say(f"[1/4] tender {tender.get('code')}  {tender.get('title', '')}  deadline {tender.get('bid_deadline')}")
    header, size = _check_envelope_for(tender, path)
    say(
        f"      envelope {path.name}: {human(size)}, sealed for this tender and its opening key "
        f"{header['opening_key_fingerprint'][:16]}…"
    )
    mtime_ns = path.stat().st_mtime_ns
    spath = state_path(path)
    state = _load_state(spath)
    upload = None
    if state is not None:
        same = (state.get("server"), state.get("tender"), state.get("size"), state.get("mtime_ns")) == (
            platform.server,
            tender_id,
            size,
            mtime_ns,
        )
        if not same:
            say(f"      ignoring {spath.name}: it is for another server, tender or version of the file")
        else:
            try:
                upload = platform.call("GET", f"/api/uploads/{state['upload']}/")
            except Refused as exc:
                say(f"      the earlier upload {state['upload']} is gone ({exc.code}): starting again")
            else:
                if upload.get("status") == "finalized":
                    bid = _find_bid_of_upload(platform, tender_id, state["upload"])
                    if bid is None:
                        raise CliError(
                            f"upload {state['upload']} was finalized but its bid is not among your "
                            "organization's bids (replaced by a colleague's?); see the platform"
                        )
                    say("      an earlier run submitted this envelope already; fetching its receipt")
                    return _finish(platform, path, bid, spath)
                if upload.get("status") == "refused":
                    spath.unlink(missing_ok=True)
                    raise CliError(
                        f"the platform refused upload {state['upload']} earlier "
                        f"({upload.get('refusal_code')}); fix the cause and submit again"
                    )
    if upload is None:
        # Retried like a read: a repeat after a lost answer only leaves an empty upload behind.
        upload = platform.call("POST", "/api/uploads/", json_body={"tender": tender_id, "size": size})
        state = {
            "format": STATE_FORMAT,
            "server": platform.server,
            "tender": tender_id,
            "upload": upload["id"],
            "size": size,
            "mtime_ns": mtime_ns,
            "sha256": None,
            "received": 0,
        }
        _write_json_atomically(spath, state)
        say(f"[2/4] upload {upload['id']} created; progress is kept in {spath.name} (run again to resume)")
    else:
        say(
            f"[2/4] resuming upload {upload['id']}: the platform holds {human(upload['received'])} "
            f"of {human(size)} ({upload['received']} bytes)"
        )
    part_size = part_size or upload["part_size"]
    upload_id = upload["id"]
    with path.open("rb") as f:
        whole = _FileHash(f, size)
        received = _send_parts(
            platform, upload_id, f, size, upload["received"], part_size, whole, state, spath, on_part
        )
        sha256 = whole.hexdigest()
    if path.stat().st_mtime_ns != mtime_ns:
        raise CliError(f"{path} changed while it was being sent; seal it again and submit the new file")
    state.update(sha256=sha256, received=received)
    _write_json_atomically(spath, state)
    say(f"[3/4] all {human(size)} sent; SHA-256 {sha256}; the platform is checking the envelope…")
    bid = _finalize(platform, tender_id, upload_id, sha256)
    return _finish(platform, path, bid, spath)


def _send_parts(platform, upload_id, f, size, received, part_size, whole, state, spath, on_part) -> int:
    progress = _UploadProgress(size, part_size, received)
    failures = 0
    while received < size:
        n = min(part_size, size - received)
        f.seek(received)
        data = _read_exactly(f, n)  # one part in memory at most, whatever the size of the bid
        whole.feed(received, data)
        try:
            status, body = platform.request(
                "PUT",
                f"/api/uploads/{upload_id}/parts/?offset={received}",
                data=data,
                headers={"Content-Type": "application/octet-stream", "X-Part-SHA256": hashlib.sha256(data).hexdigest()},
            )
            if status == 200:
                received, failures = body["received"], 0
                state["received"] = received
                _write_json_atomically(spath, state)
                progress(received)
                if on_part is not None:
                    on_part(received)
                continue
            code = body.get("code")
            if status == 409 and code == "offset_mismatch":  # a part we thought lost had arrived, or the reverse
                say(f"  the platform holds {body['received']} bytes, not {received}: continuing from there")
                received = body["received"]
                continue
            if code not in ("part_sha256_mismatch", "incomplete_part"):
                raise Refused(status, body)
            raise Transient(f"{code} at offset {received}")
        except Transient as exc:
            failures += 1
            if failures >= RETRIES:
                raise CliError(
                    f"giving up after {failures} failed attempts ({exc}); run the same command again: "
                    "it resumes where the platform stopped"
                ) from exc
            backoff(failures, exc)
            # The answer was lost, not necessarily the part: ask how much the platform holds.
            received = _received(platform, upload_id)
    return received


def _received(platform, upload_id) -> int:
    return platform.call("GET", f"/api/uploads/{upload_id}/")["received"]


def _finalize(platform, tender_id, upload_id, sha256) -> dict:
    for attempt in Retry():
        with attempt:
            status, body = platform.request(
                "POST", f"/api/uploads/{upload_id}/finalize/", json_body={"sha256": sha256}, timeout=FINALIZE_TIMEOUT
            )
            if status == 201:
                return body
            if status == 409 and body.get("code") == "upload_closed":
                # A lost answer to an earlier finalize that went through: the bid exists.
                bid = _find_bid_of_upload(platform, tender_id, upload_id)
                if bid is not None:
                    return bid
            raise Refused(status, body)
    raise AssertionError("unreachable")


def _finish(platform: Platform, path: Path, bid: dict, spath: Path) -> dict:
    certificates = platform.call("GET", "/api/pki/certificates/")
    doc = {
        "format": RECEIPT_FILE_FORMAT,
        "server": platform.server,
        "bid": bid["id"],
        "receipt": bid["receipt"],
        "receipt_signature": bid["receipt_signature"],
        "seal_certificate": certificates["seal"],
        "ca_certificate": certificates["ca"],
    }
    rpath = receipt_path(path)
    _write_json_atomically(rpath, doc)
    spath.unlink(missing_ok=True)
    say(f"[4/4] accepted. Receipt written to {rpath}")
    receipt = verify_receipt_doc(doc, envelope_path=path)
    say(f"      receipt number   {receipt['receipt_no']}")
    say(f"      received at      {receipt['received_at']} (platform time)")
    say(f"      bid id           {bid['id']}  (withdraw: bidder.py withdraw --bid {bid['id']})")
    return doc


def cmd_submit(args):
    platform = platform_from(args)
    try:
        submit_envelope(platform, args.tender, args.envelope, part_size=args.part_size)
    except KeyboardInterrupt:
        say(
            f"\ninterrupted. Run the same command again to continue where the platform stopped "
            f"({state_path(args.envelope).name} remembers the upload)."
        )
        raise
    finally:
        platform.close()


def cmd_status(args):
    platform = platform_from(args)
    upload = platform.call("GET", f"/api/uploads/{args.upload}/")
    size = upload["declared_size"]
    say(f"upload {upload['id']}  tender {upload['tender']}  status {upload['status']}")
    say(f"received {upload['received']} of {size} bytes ({upload['received'] * 100 // max(size, 1)}%)")
    if upload.get("refusal_code"):
        say(f"refused: {upload['refusal_code']}")


def cmd_withdraw(args):
    platform = platform_from(args)
    bid = platform.call("POST", f"/api/bids/{args.bid}/withdraw/", retry=False)
    say(f"bid {bid['id']} ({bid['receipt_no']}) is {bid['status']} at {bid['withdrawn_at']}")


# --- verify-receipt -----------------------------------------------------------------------------------


class ReceiptInvalid(CliError):
    pass


RECEIPT_FIELDS = {"receipt_no", "tender", "bidder", "envelope_sha256", "size", "received_at"}


def _pem_fingerprint(pem: str) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def _check_chain(seal_pem: str, ca_pem: str, at: datetime.datetime):
    """The seal certificate is issued by the CA and both were valid at `at`.

    pycryptodome reads the key out of a certificate but cannot check a certificate's issuer and
    signature, so this part uses `cryptography` (imported here: the other commands do without it).
    """
    try:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
    except ImportError as exc:
        raise ReceiptInvalid(
            "checking the seal certificate's issuer needs the `cryptography` package (pip install cryptography)"
        ) from exc
    try:
        seal = x509.load_pem_x509_certificate(seal_pem.encode())
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
    except ValueError as exc:
        raise ReceiptInvalid(f"unreadable certificate: {exc}") from exc
    try:
        is_ca = ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ReceiptInvalid("the CA certificate is not a certification authority's")
    try:
        seal.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise ReceiptInvalid("the seal certificate is not issued by this CA") from exc
    for name, cert in (("seal", seal), ("CA", ca)):
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            raise ReceiptInvalid(f"the {name} certificate was not valid when the receipt was issued ({at})")


def verify_receipt_doc(doc: dict, *, ca_pem: str | None = None, envelope_path: Path | None = None) -> dict:
    """Check a receipt file's signature, the seal's chain to the CA (`ca_pem`, else the file's own CA),
    and with `envelope_path` that the file is the envelope the receipt names. Returns the receipt;
    raises ReceiptInvalid with the reason."""
    try:
        text, signature = doc["receipt"], keys.unb64(doc["receipt_signature"])
        seal_pem = doc["seal_certificate"]
        key = RSA.import_key(seal_pem)  # the public key inside the X.509 certificate
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ReceiptInvalid(f"not a receipt file: {exc}") from exc
    verifier = pss.new(key, mask_func=lambda seed, length: MGF1(seed, length, SHA256), salt_bytes=32)
    try:
        verifier.verify(SHA256.new(text.encode("utf-8")), signature)
    except (ValueError, TypeError) as exc:
        raise ReceiptInvalid(
            "the receipt's signature does not verify with the seal certificate: the receipt "
            "was altered or is not the platform's"
        ) from exc
    receipt = json.loads(text)
    if not isinstance(receipt, dict) or receipt.get("format") != "bid-receipt/1":
        raise ReceiptInvalid("the signed text is not a bid receipt")
    missing = RECEIPT_FIELDS - set(receipt)
    if missing:
        raise ReceiptInvalid(f"the receipt lacks {', '.join(sorted(missing))}")
    say(
        f"signature OK: receipt {receipt['receipt_no']} signed by the platform seal "
        f"(certificate SHA-256 {_pem_fingerprint(seal_pem)})"
    )
    own_ca = ca_pem is None
    ca_pem = ca_pem if ca_pem is not None else doc.get("ca_certificate")
    if not ca_pem:
        raise ReceiptInvalid("no CA certificate: give --ca")
    at = datetime.datetime.fromisoformat(receipt["received_at"])
    _check_chain(seal_pem, ca_pem, at)
    where = "from the receipt file: compare it with the one the platform publishes" if own_ca else "given"
    say(f"chain OK: the seal certificate is issued by the CA (SHA-256 {_pem_fingerprint(ca_pem)}, {where})")
    if envelope_path is not None:
        digest, size = hashlib.sha256(), 0
        with envelope_path.open("rb") as f:
            while block := f.read(HASH_BLOCK):
                digest.update(block)
                size += len(block)
        if (digest.hexdigest(), size) != (receipt["envelope_sha256"], receipt["size"]):
            raise ReceiptInvalid(
                f"{envelope_path} is not the envelope of this receipt: SHA-256 {digest.hexdigest()}"
                f" and {size} bytes, the receipt says {receipt['envelope_sha256']} and "
                f"{receipt['size']} bytes"
            )
        say(f"envelope OK: {envelope_path.name} has the SHA-256 and size on the receipt")
    return receipt


def cmd_verify_receipt(args):
    try:
        doc = json.loads(args.receipt.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise ReceiptInvalid(f"{args.receipt}: not a receipt file ({exc})") from exc
    ca_pem = args.ca.read_text(encoding="ascii") if args.ca else None
    receipt = verify_receipt_doc(doc, ca_pem=ca_pem, envelope_path=args.envelope)
    say(
        f"RECEIPT VALID: {receipt['receipt_no']}, tender {receipt['tender']}, {receipt['bidder']}, "
        f"received {receipt['received_at']}"
    )


def build_parser():
    parser = argparse.ArgumentParser(prog="bidder.py", description="Seal bids (sealed-bid/1) on your own machine.")
    commands = parser.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser("keygen", help="make a signing key and an encryption key")
    keygen.add_argument("--out", type=Path, required=True, help="new key file (JSON)")
    add_passphrase_options(keygen, creating=True)
    keygen.set_defaults(handler=cmd_keygen)

    seal = commands.add_parser("seal", help="seal a bid letter and files for one tender")
    seal.add_argument("--key", type=Path, required=True, help="your key file")
    seal.add_argument("--opening-key", type=Path, required=True, help="the tender's opening public key (PEM)")
    seal.add_argument("--opening-fingerprint", help="the fingerprint published with the tender, to compare")
    seal.add_argument("--tender", required=True, help="the tender id, exactly as the platform shows it")
    seal.add_argument("--letter", type=Path, required=True, help="bid letter (JSON object, integers only)")
    seal.add_argument("--out", type=Path, required=True, help="the envelope file to write")
    seal.add_argument(
        "--chunk-size",
        type=int,
        default=envelope.DEFAULT_CHUNK_SIZE,
        help=f"bytes of plaintext per encrypted chunk, {envelope.MIN_CHUNK_SIZE} to {envelope.MAX_CHUNK_SIZE} "
        f"(default {envelope.DEFAULT_CHUNK_SIZE}, 1 MiB)",
    )
    seal.add_argument(
        "files", type=Path, nargs="*", help="the files of the bid (none is allowed: a bid letter alone is valid)"
    )
    add_passphrase_options(seal)
    seal.set_defaults(handler=cmd_seal)

    check = commands.add_parser("check", help="open your own envelope with your key and verify everything")
    check.add_argument("--key", type=Path, required=True, help="your key file")
    check.add_argument("--extract", type=Path, help="also write the decrypted files into this directory")
    check.add_argument(
        "--server", help="the platform's address: show the bid letter with the labels of the tender's bid form"
    )
    check.add_argument("--tender", type=int, help="with --server: the tender's number in its address")
    check.add_argument("envelope", type=Path)
    add_passphrase_options(check)
    check.set_defaults(handler=cmd_check)

    def platform_options(command):
        command.add_argument("--server", required=True, help="the platform's address, e.g. https://ggzy.example.cn")
        command.add_argument(
            "--token",
            help=f"your API token (better: the {TOKEN_ENV} environment variable, "
            "which other users of this machine cannot see)",
        )
        command.add_argument("--timeout", type=float, default=TIMEOUT,
                             help=f"seconds to wait for an answer before trying again (default {TIMEOUT})")

    submit = commands.add_parser("submit", help="upload a sealed envelope (resumable) and get the signed receipt")
    platform_options(submit)
    submit.add_argument("--tender", type=int, required=True, help="the tender's number in its address on the platform")
    submit.add_argument("--part-size", type=int, help=argparse.SUPPRESS)  # tests: many small parts
    submit.add_argument("envelope", type=Path, help="the sealed envelope (from the seal command)")
    submit.set_defaults(handler=cmd_submit)

    status = commands.add_parser("status", help="how much of an upload the platform holds")
    platform_options(status)
    status.add_argument("--upload", required=True, help="the upload id (in ENVELOPE.upload.json)")
    status.set_defaults(handler=cmd_status)

    verify = commands.add_parser("verify-receipt", help="check a receipt's seal signature (and the envelope)")
    verify.add_argument("receipt", type=Path, help="the receipt file written by submit")
    verify.add_argument(
        "--ca", type=Path, help="the platform CA certificate (PEM) you trust; default: the one in the receipt file"
    )
    verify.add_argument("--envelope", type=Path, help="also check that this file is the envelope on the receipt")
    verify.set_defaults(handler=cmd_verify_receipt)

    withdraw = commands.add_parser("withdraw", help="withdraw a submitted bid before the deadline")
    platform_options(withdraw)
    withdraw.add_argument("--bid", type=int, required=True, help="the bid id (printed by submit)")
    withdraw.set_defaults(handler=cmd_withdraw)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run(args.handler, args)


if __name__ == "__main__":
    sys.exit(main())
