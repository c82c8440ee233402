"""Anchors: log heads kept outside the chain (docs/architecture.md §6).

Every signed record carries the head it saw, printed in its PDF; copies held by bidders and
regulators pin the log at that point. A log rolled back behind an anchor (newest entries deleted and
the head moved back) still links up: only the anchors reveal it, so verification checks them all.

The ledger does not know who keeps anchors (records depends on ledger, not the other way): apps
register a source in their AppConfig.ready(), a callable yielding `(label, seq, hash)` per anchor.
`hash` None means "this entry must exist" (the entry that logged the record itself).
"""

from itertools import islice
from typing import NamedTuple

from django.utils.translation import gettext as _

from .models import GENESIS_HASH, Entry

_sources = {}


class Anchor(NamedTuple):
    label: str  # who holds it, in words: "signed record 12 “…”"
    seq: int
    hash: str | None


def register_anchor_source(name, source):
    """`source()` yields `(label, seq, hash)`; registering a name again replaces its source."""
    _sources[name] = source


def _all_anchors():
    for source in _sources.values():
        for item in source():
            yield Anchor(*item)


def first_broken_anchor(log_end, batch=1000):
    """`(seq, reason)` for the first anchor the log contradicts, or None. `log_end` is the last entry
    verified, for the report; anchors are compared with the stored hashes of a chain already walked."""
    anchors = _all_anchors()
    while chunk := list(islice(anchors, batch)):
        stored = dict(Entry.objects.filter(seq__in={a.seq for a in chunk}).values_list("seq", "hash"))
        stored[0] = GENESIS_HASH  # a record made before the first entry anchors the empty log
        for anchor in chunk:
            params = {"label": anchor.label, "seq": anchor.seq, "end": log_end, "anchor": anchor.hash,
                      "hash": stored.get(anchor.seq)}
            if anchor.seq not in stored and anchor.hash is None:
                return anchor.seq, _("%(label)s was logged as entry %(seq)s, but the log has no entry %(seq)s "
                                     "(it ends at entry %(end)s)") % params
            if anchor.seq not in stored:
                return anchor.seq, _("%(label)s carries entry %(seq)s as the log head it saw, but the log has "
                                     "no entry %(seq)s (it ends at entry %(end)s)") % params
            if anchor.hash is not None and anchor.hash != stored[anchor.seq]:
                return anchor.seq, _("%(label)s carries entry %(seq)s with hash %(anchor)s, but the log's "
                                     "entry %(seq)s has hash %(hash)s") % params
    return None
