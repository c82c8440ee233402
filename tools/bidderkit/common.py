"""What every command of both CLIs shares: the error type, output, and the run loop that turns errors
into one line on stderr and exit status 1."""

import json
import os
import sys
from pathlib import Path

from sealedbid import envelope, keys
from sealedbid.ceremony import CeremonyError

HASH_BLOCK = 1 << 20  # bytes read at a time to hash a file


class CliError(Exception):
    """A failure told to the person in one line: `prefix` then the message."""

    prefix = "error: "


def say(*parts):
    print(*parts, flush=True)


def human(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def write_json_atomically(path: Path, doc: dict):
    # Replace, never rewrite in place: a run killed mid-write must not leave half a state file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def run(handler, args) -> int:
    try:
        handler(args)
    except KeyboardInterrupt:
        return 130
    except (envelope.EnvelopeError, keys.KeyFileError, CeremonyError) as exc:
        print(f"error ({exc.code}): {exc}", file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"{exc.prefix}{exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(parser, argv=None) -> int:
    """Parse `argv` with `parser` (whose commands set `handler`) and run the command."""
    args = parser.parse_args(argv)
    return run(args.handler, args)
