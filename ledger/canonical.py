"""Canonical JSON for the trading log, and the log's one spelling of time.

Canonical JSON (the exact bytes that are hashed and signed) has one implementation, in the sealed-bid
library: sealedbid/canonical.py, which a bidder's machine runs too. This module re-exports it for the
platform.
"""

from sealedbid.canonical import NotCanonical, canonical_json, parse_canonical

__all__ = ["NotCanonical", "canonical_json", "parse_canonical", "utc_iso"]


def utc_iso(moment):
    """A time as it is written into the trading log and receipts: UTC, ISO 8601, whatever zone it was in."""
    import datetime

    return moment.astimezone(datetime.UTC).isoformat()
