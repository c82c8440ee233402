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


class NotCanonical(ValueError):
    """Stored text that is not byte-for-byte the canonical JSON of any value. `code` names why
    (this module stays free of Django, for the bidder's tool: callers word the message)."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


def _refuse_constant(name):
    raise NotCanonical("constant", name)


def _refuse_float(text):
    raise NotCanonical("float", text)


def _object_without_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise NotCanonical("duplicate_key", json.dumps(key, ensure_ascii=False))
        result[key] = value
    return result


def parse_canonical(text: str):
    """The value of `text`, if `text` is exactly its canonical JSON; NotCanonical otherwise.

    Python's parser keeps the last of two equal keys and reads NaN, floats, escapes and white space,
    so stored text that merely parses to the same value could hide a forgery (`{"k":"FORGED","k":…}`)
    while hashing equal: only the one spelling canonical_json writes is accepted."""
    if not isinstance(text, str):
        raise NotCanonical("not_text")
    try:  # the common case, at the C parser's speed: the text is the canonical spelling of what it parses to
        value = json.loads(text, parse_float=_refuse_float, parse_constant=_refuse_constant)
        # Floats and constants were refused while parsing, and JSON keys are strings: json.dumps alone
        # writes canonical_json's bytes. A repeated key parses to one key, so it never compares equal.
        if json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == text:
            return value
    except (ValueError, RecursionError):
        pass  # NotCanonical included: the careful pass below names the reason
    try:
        value = json.loads(text, object_pairs_hook=_object_without_duplicates,
                           parse_float=_refuse_float, parse_constant=_refuse_constant)
    except NotCanonical:
        raise
    except (ValueError, RecursionError):
        raise NotCanonical("not_json") from None
    try:
        canonical = canonical_json(value).decode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, written as an escape: it has no UTF-8 spelling
        raise NotCanonical("not_utf8") from None
    if canonical != text:
        raise NotCanonical("not_canonical")
    return value
