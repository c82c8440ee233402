from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class Entry(models.Model):
    """One action in the trading log. Append-only: PostgreSQL refuses UPDATE and DELETE by trigger, except
    the sequencer's one UPDATE that sets prev_hash and hash of an entry that has none."""

    seq = models.BigIntegerField(_("sequence"), primary_key=True)
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(_("actor"), max_length=150)
    role = models.CharField(_("role"), max_length=20, blank=True)
    region_code = models.CharField(_("region"), max_length=12, blank=True)
    tender_ref = models.CharField(_("tender"), max_length=40, blank=True)
    action = models.CharField(_("action"), max_length=60)
    # The canonical JSON text itself, so the hashed bytes are stored exactly.
    payload = models.TextField(_("payload"))
    # Empty until the sequencer hashes the entry (ledger.sequencer), then never changed.
    # Not indexed: nothing looks an entry up by its hash (anchors name the number), and no two entries can
    # share one without a SHA-256 collision (each hash covers the one before). An index here cost every
    # append two index writes more, and made the sequencer's UPDATE of these columns rewrite every index.
    prev_hash = models.CharField(max_length=64, null=True)
    hash = models.CharField(max_length=64, null=True)

    class Meta:
        ordering = ["seq"]
        # Only what the console and the alerts read by (ledger.views, ledger.queries): each index is one
        # more write per append. Region and tender are matched exactly; an action exactly (newest first,
        # from (action, seq)) or by its prefix (PostgreSQL's pattern index; SQLite ignores the opclass).
        indexes = [
            models.Index(fields=["region_code"], name="ledger_entry_region"),
            models.Index(fields=["tender_ref"], name="ledger_entry_tender"),
            models.Index(fields=["action", "seq"], name="ledger_entry_action_seq"),
            models.Index(fields=["action"], name="ledger_entry_action_prefix", opclasses=["varchar_pattern_ops"]),
        ]
        verbose_name = _("trading log entry")
        verbose_name_plural = _("trading log entries")

    def __str__(self):
        return f"#{self.seq} {self.action}"


class ChainHead(models.Model):
    """A single row naming the last entry; appends lock it so that the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"head #{self.seq} {self.hash[:12]}"


# --- The Merkle tree over the entries (docs/trading-log.md) ----------------------------------------

class TreeState(models.Model):
    """A single row: how many entries the stored tiles cover, and the hash of the last one (the next
    entry integrated must link to it). Integration locks it, so the tiles are written by one process."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"tree of {self.size} entries"


class Tile(models.Model):
    """Up to 256 hashes of one level of the tree, as in Trillian's subtrees and C2SP tlog-tiles: tile
    (level L, index i) holds the hashes of the nodes at tree height 8·L numbered 256·i … 256·i + 255
    (level 0: leaf hashes), 32 bytes each, left to right. The rightmost tile of a level is partial and
    grows as entries are integrated; any node of a complete subtree is at most 255 hashes away from one
    tile row. A cache of the entries: verify_ledger recomputes it, and proofs from it are checked
    against the signed heads by whoever receives them."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hashes = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="ledger_tile_level_index")]

    def __str__(self):
        return f"tile {self.level}/{self.index} ({len(self.hashes) // 32} hashes)"


class TreeHead(models.Model):
    """A signed tree head (STH) as published: append-only (PostgreSQL refuses UPDATE and DELETE)."""

    tree_size = models.BigIntegerField(_("tree size"), unique=True)
    root_hash = models.CharField(_("root hash"), max_length=64)
    timestamp = models.BigIntegerField(_("timestamp (ms since 1970, UTC)"))
    seal_sha256 = models.CharField(_("seal certificate"), max_length=64)
    signature = models.TextField(_("signature (base64)"))
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering = ["-tree_size"]
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")

    def __str__(self):
        return f"STH {self.tree_size} {self.root_hash[:12]}"


class Cosignature(models.Model):
    """A regulator's witness cosignature: their console checked `head` as consistent with `checked_from`,
    the head they had co-signed before (None for their first). Append-only like the heads."""

    head = models.ForeignKey(TreeHead, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_from = models.ForeignKey(TreeHead, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("co-signed at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["head", "witness"], name="ledger_cosignature_once")]
        verbose_name = _("witness cosignature")
        verbose_name_plural = _("witness cosignatures")

    def __str__(self):
        return f"{self.witness_id} co-signed STH {self.head_id}"
