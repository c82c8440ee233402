"""Signed tree heads (STH): the tree's size and root, a time, signed by the platform seal.

The document signed is the canonical JSON (ledger.canonical) of

    {"format": "bz-tree-head/1", "log": LOG_ID, "tree_size": n, "root_hash": hex,
     "timestamp": milliseconds since 1970 UTC, "seal_sha256": the seal certificate's fingerprint}

with RSASSA-PKCS1-v1_5 / SHA-256; the published JSON is that document plus "signature" (base64).

The ledger holds no keys and does not know the PKI (records depends on ledger, not the other way):
records registers the platform seal in its AppConfig.ready() with `register_signer`.
"""

import base64
import binascii

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

from . import tree
from .canonical import canonical_json
from .models import TreeHead

FORMAT = "bz-tree-head/1"
LOG_ID = "巴中市公共资源交易平台/交易日志"

_signer = None


class SthError(DomainError):
    pass


def register_signer(signer):
    """`signer` has fingerprint() → hex SHA-256 of the seal certificate, sign(data) → signature bytes, and
    verify(data, signature, fingerprint) → bool. Registering again replaces it."""
    global _signer
    _signer = signer


def _the_signer():
    if _signer is None:
        raise SthError("no_seal", _("No seal is registered to sign tree heads (records registers the platform seal)."))
    return _signer


def signer():
    """The registered seal signer (SthError `no_seal` if none): exports sign their manifest with it."""
    return _the_signer()


def document(head) -> dict:
    """The signed fields of a head (a TreeHead or anything with the same attributes)."""
    return {"format": FORMAT, "log": LOG_ID, "tree_size": head.tree_size, "root_hash": head.root_hash,
            "timestamp": head.timestamp, "seal_sha256": head.seal_sha256}


def as_json(head) -> dict:
    return {**document(head), "signature": head.signature}


def signature_valid(head) -> bool:
    try:
        signature = base64.b64decode(head.signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return _the_signer().verify(canonical_json(document(head)), signature, head.seal_sha256)


def latest():
    return TreeHead.objects.order_by("-tree_size").first()


def publish(now=None):
    """Integrate the committed entries and, if the tree grew past the latest head, sign and store a new
    head for it; returns it, or None when there was nothing new. A tree that is not an extension of the
    latest head is refused (SthError `inconsistent_tree`): the seal never signs a fork."""
    signer = _the_signer()
    tree.integrate()
    with transaction.atomic():
        state = tree.locked_state()  # one publisher at a time
        previous = latest()
        size = state.size
        if size == 0 or (previous is not None and previous.tree_size >= size):
            return None
        tiles = tree.Tiles()
        root = tree.root(size, tiles).hex()
        if previous is not None and not tree.consistent(previous.tree_size, previous.root_hash, size, root):
            raise SthError("inconsistent_tree", _("The log is no longer an extension of the last signed tree head "
                                                  "(%(size)s entries): no new head is signed.")
                           % {"size": previous.tree_size})
        moment = now or timezone.now()
        # Timestamps never go back, even if the clock does: heads are ordered by size and by time alike.
        timestamp = max(int(moment.timestamp() * 1000), previous.timestamp if previous else 0)
        head = TreeHead(tree_size=size, root_hash=root, timestamp=timestamp, seal_sha256=signer.fingerprint(),
                        published_at=moment)
        head.signature = base64.b64encode(signer.sign(canonical_json(document(head)))).decode("ascii")
        head.save()
    return head
