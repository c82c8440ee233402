"""seal and check: on the bidder's machine, nothing sent anywhere (check --server only reads the
tender's public bid form)."""

import json
import mimetypes
import os
from contextlib import ExitStack
from pathlib import Path

from sealedbid import envelope, keys
from sealedbid import letter as bid_form

from .api import Platform
from .common import CliError, human, say
from .keys import read_key_file


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

