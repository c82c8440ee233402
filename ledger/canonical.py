"""Canonical JSON: the exact bytes that are hashed and signed.

Keys sorted by code point, no insignificant white space, UTF-8 (not \\u escapes), integers only
(money is integer fen): a float would have several spellings, so it is refused.
"""

import json


def _refuse_floats(value):
    if isinstance(value, float):
        raise TypeError("canonical JSON takes no floats; use integers (fen, days) or strings")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("canonical JSON keys must be strings")
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def canonical_json(value) -> bytes:
    _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def utc_iso(moment):
    """A time as it is written into the trading log and receipts: UTC, ISO 8601, whatever zone it was in."""
    import datetime

    return moment.astimezone(datetime.UTC).isoformat()
