"""The stored Merkle tree: tiles filled incrementally from the entries, and proofs read from them.

`integrate()` extends the tiles by the committed entries after the ones they cover (publishing a tree head
calls it; so can any background step). A proof or a root for a size already integrated then reads
O(log n) tile rows (a few, each up to 8 KB) and hashes at most a few hundred nodes, whatever the log's
length: no leaf is read again. `verify()` recomputes everything from the entries for verify_ledger.
"""

import hashlib
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import merkle
from .chain import _Malformed, _stored_document, document_bytes  # one definition of an entry's hashed document
from .models import GENESIS_HASH, Tile, TreeState

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
H = merkle.HASH_SIZE


class TreeError(RuntimeError):
    """The entries cannot be integrated as they are: the tree must not grow over a broken log."""

    def __init__(self, seq, reason):
        super().__init__(f"entry {seq}: {reason}")
        self.seq, self.reason = seq, reason


def entry_leaf(row) -> bytes:
    """The leaf hash of a stored entry row: SHA-256(0x00 ‖ canonical JSON of its document)."""
    return merkle.leaf_hash(document_bytes(_stored_document(row)))


def _rows(after, limit):
    """Stored entry rows with seq > after, in order, at most `limit` (columns as ledger.chain reads them)."""
    table = connection.ops.quote_name("ledger_entry")
    time = "CAST(created_at AS TEXT)" if connection.vendor == "sqlite" else "created_at"
    columns = f"seq, {time}, actor_id, actor_name, role, region_code, tender_ref, action, payload, prev_hash, hash"
    # Hashed entries only: the sequencer hashes in order, so they are a prefix of the log.
    sql = f"SELECT {columns} FROM {table} WHERE seq > %s AND hash IS NOT NULL ORDER BY seq LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [after, limit])
        return cursor.fetchall()


def _chunks(data):
    return [bytes(data[i:i + H]) for i in range(0, len(data), H)]


class _Builder:
    """The rightmost tile of every level, growing one hash at a time; a tile that fills hands the root of
    its 256 hashes to the level above. `full(level, index, data)` is told of each tile that fills (by
    default, it is kept in `filled`)."""

    def __init__(self, size=0, load=None, full=None):
        self.tiles, self.filled = {}, {}
        self.full = full or (lambda level, index, data: self.filled.__setitem__((level, index), data))
        level = 0
        while size >> (TILE_HEIGHT * level):
            index, width = divmod(size >> (TILE_HEIGHT * level), TILE_WIDTH)
            data = load(level, index) if width else b""
            if len(data) != width * H:
                raise TreeError(size, _("the stored tree tile %(tile)s does not cover the entries it should")
                                % {"tile": f"{level}/{index}"})
            self.tiles[level] = [index, bytearray(data)]
            level += 1
        self.touched = set()

    def push(self, level, digest):
        index, data = self.tiles.setdefault(level, [0, bytearray()])
        data += digest
        self.touched.add(level)
        if len(data) == TILE_WIDTH * H:
            self.full(level, index, bytes(data))
            self.tiles[level] = [index + 1, bytearray()]
            self.push(level + 1, merkle.fold(_chunks(data)))

    def partial(self):
        """(level, index, data) of every non-empty rightmost tile."""
        return [(level, index, bytes(data)) for level, (index, data) in sorted(self.tiles.items()) if data]


def _save(tiles):
    Tile.objects.bulk_create([Tile(level=lv, index=ix, hashes=data) for (lv, ix), data in tiles.items()],
                             update_conflicts=True, unique_fields=["level", "index"], update_fields=["hashes"],
                             batch_size=500)


def locked_state():
    state = TreeState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        TreeState.objects.get_or_create(pk=1)
        state = TreeState.objects.select_for_update().get(pk=1)
    return state


def integrated_size():
    return TreeState.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def _load_tile(level, index):
    data = Tile.objects.filter(level=level, index=index).values_list("hashes", flat=True).first()
    return bytes(data) if data is not None else b""


def integrate(step=20_000, hash_first=True):
    """Add the hashed entries after the integrated ones to the tiles, `step` entries per transaction
    (the state row is locked meanwhile: one integrator at a time; appends are not blocked), after the
    sequencer hashed what was committed (unless `hash_first` is False). Each entry must link to the one
    before and match its own hash, or TreeError. Returns the integrated size."""
    if hash_first:
        from .sequencer import SequencerError, hash_pending

        try:
            hash_pending()
        except SequencerError as exc:
            raise TreeError(exc.seq, exc.reason) from None
    while True:
        with transaction.atomic():
            state = locked_state()
            rows = _rows(state.size, step)
            if not rows:
                return state.size
            growth = Growth(state)
            size, last = state.size, state.last_hash
            for row in rows:
                seq, prev, digest = row[0], row[-2], row[-1]
                if seq != size + 1:
                    raise TreeError(size + 1, _("the entry is missing"))
                try:
                    data = document_bytes(_stored_document(row))
                except _Malformed as exc:
                    raise TreeError(seq, str(exc)) from None
                # ledger.chain.entry_hash, over the bytes already made: SHA-256(prev_hash in ASCII ‖ document)
                if prev != last or hashlib.sha256(prev.encode("ascii") + data).hexdigest() != digest:
                    raise TreeError(seq, _("the entry does not link to the entry before it or does not match its hash"))
                growth.add(data)
                size, last = seq, digest
            growth.save(size, last)
        if len(rows) < step:
            return size


class Growth:
    """The tiles growing by entries in order, saved with the tree state in the caller's transaction (which
    holds the state row: `locked_state()`). The sequencer grows the tree by the entries it has just hashed,
    from the document bytes it already made: one read and one parse of each entry, not two."""

    def __init__(self, state):
        self.state = state
        self.builder = _Builder(state.size, _load_tile)

    def add(self, document: bytes):
        self.builder.push(0, merkle.leaf_hash(document))

    def save(self, size, last_hash):
        builder = self.builder
        _save({**builder.filled, **{(lv, ix): data for lv, ix, data in builder.partial() if lv in builder.touched}})
        self.state.size, self.state.last_hash = size, last_hash
        self.state.save(update_fields=["size", "last_hash"])


class Tiles:
    """Reads nodes of complete subtrees from the stored tiles, each tile row once per instance."""

    def __init__(self):
        self._cache = {}

    @classmethod
    def reading(cls, compute):
        """Tiles holding every tile `compute(node)` reads, fetched in one query: which nodes a root or a
        proof needs depends on sizes only, so a first pass over placeholder hashes names them."""
        wanted = set()

        def record(height, index):
            level, rise = divmod(height, TILE_HEIGHT)
            wanted.add((level, (index << rise) >> TILE_HEIGHT))
            return bytes(H)

        compute(record)
        tiles = cls()
        if wanted:
            query = Q()
            for level, index in wanted:
                query |= Q(level=level, index=index)
            tiles._cache = {key: b"" for key in wanted}
            tiles._cache.update({(lv, ix): bytes(data) for lv, ix, data in
                                 Tile.objects.filter(query).values_list("level", "index", "hashes")})
        return tiles

    def tile(self, level, index):
        key = (level, index)
        if key not in self._cache:
            self._cache[key] = _load_tile(level, index)
        return self._cache[key]

    def node(self, height, index):
        level, rise = divmod(height, TILE_HEIGHT)
        first, count = index << rise, 1 << rise
        data = self.tile(level, first >> TILE_HEIGHT)
        offset = (first % TILE_WIDTH) * H
        chunk = data[offset:offset + count * H]
        if len(chunk) != count * H:
            raise TreeError((index + 1) << height, _("the stored tree does not hold this part of the log yet"))
        return merkle.fold(_chunks(chunk))


def root(size, tiles=None) -> bytes:
    return merkle.root_hash(size, (tiles or Tiles()).node)


def inclusion_proof(seq, size):
    """Entry `seq` (leaf seq − 1) in the tree of the first `size` entries, as published (hex)."""
    def compute(node):
        return node(0, seq - 1), merkle.inclusion_path(seq - 1, size, node)

    leaf, path = compute(Tiles.reading(compute).node)
    return {"seq": seq, "leaf_index": seq - 1, "tree_size": size, "leaf_hash": leaf.hex(),
            "audit_path": [h.hex() for h in path]}


def consistency_proof(first, second):
    def compute(node):
        return merkle.consistency_path(first, second, node) if first < second else []

    path = compute(Tiles.reading(compute).node)
    return {"first": first, "second": second, "consistency_path": [h.hex() for h in path]}


def consistent(first, first_root_hex, second, second_root_hex) -> bool:
    """Do the stored tiles prove the tree of `second` entries an extension of the tree of `first`?"""
    path = [bytes.fromhex(h) for h in consistency_proof(first, second)["consistency_path"]]
    return merkle.verify_consistency(first, second, bytes.fromhex(first_root_hex), bytes.fromhex(second_root_hex),
                                     path)


def rebuild():
    """Drop the tiles and integrate every entry again (after restoring a database without them)."""
    with transaction.atomic():
        state = locked_state()
        Tile.objects.all().delete()
        state.size, state.last_hash = 0, GENESIS_HASH
        state.save(update_fields=["size", "last_hash"])
    return integrate()


# --- Recomputing the tree for verify_ledger -----------------------------------------------------------

@dataclass
class TreeVerification:
    ok: bool
    size: int
    root_hash: str
    heads: int  # signed tree heads checked
    bad_seq: int | None = None
    reason: str = ""


class _StoredTiles:
    """Stored tiles in order, fetched 64 a query, compared with the recomputed ones."""

    def __init__(self):
        self._cache = {}

    def get(self, level, index):
        if (level, index) not in self._cache:
            self._cache = {(level, ix): bytes(data) for ix, data in Tile.objects.filter(
                level=level, index__gte=index, index__lt=index + 64).values_list("index", "hashes")}
        return self._cache.get((level, index), b"")


def verify(heads, check_signature, progress=None, chunk=5000):
    """Recompute the tree from every entry and compare it with the stored tiles and with `heads` (signed
    tree heads ordered by size: tree_size, root_hash, and whatever check_signature(head) reads)."""
    heads = iter(heads)
    try:
        return _verify(heads, check_signature, progress, chunk)
    finally:
        if hasattr(heads, "close"):  # a server-side cursor left open when verification stops early
            heads.close()


def _verify(heads, check_signature, progress, chunk):
    pending = next(heads, None)
    integrated = integrated_size()
    stored, compact = _StoredTiles(), merkle.CompactRange()
    bad = []

    def compare_full(level, index, data):
        if not bad and ((index + 1) * TILE_WIDTH << (TILE_HEIGHT * level)) <= integrated \
                and stored.get(level, index) != data:
            bad.append((level, index))

    builder = _Builder(full=compare_full)
    count, checked = 0, 0
    while rows := _rows(count, chunk):
        for row in rows:
            seq = row[0]
            if seq != count + 1:
                return TreeVerification(False, count, "", checked, count + 1, _("the entry is missing"))
            try:
                leaf = entry_leaf(row)
            except (_Malformed, TypeError, ValueError):
                return TreeVerification(False, count, "", checked, seq, _("it holds a value the platform never writes"))
            offset = (seq - 1) % TILE_WIDTH * H
            if seq <= integrated and stored.get(0, (seq - 1) // TILE_WIDTH)[offset:offset + H] != leaf:
                return TreeVerification(False, count, "", checked, seq, _(
                    "it is not the entry the Merkle tree integrated: its leaf hash differs from the stored tree's"))
            compact.append(leaf)
            builder.push(0, leaf)
            count = seq
            if bad:
                level, index = bad[0]
                return TreeVerification(False, count, "", checked, seq, _(
                    "the stored tree tile %(tile)s does not match the entries") % {"tile": f"{level}/{index}"})
            if count == integrated:
                for level, index, data in builder.partial():
                    if stored.get(level, index) != data:
                        return TreeVerification(False, count, "", checked, seq, _(
                            "the stored tree tile %(tile)s does not match the entries") % {"tile": f"{level}/{index}"})
            while pending is not None and pending.tree_size == count:
                failure = _check_head(pending, compact.root(), check_signature)
                if failure:
                    return TreeVerification(False, count, "", checked, seq, failure)
                checked, pending = checked + 1, next(heads, None)
        if progress:
            progress(count)
    if pending is not None:
        return TreeVerification(False, count, "", checked, count + 1, _(
            "the signed tree head of %(size)s entries (root %(root)s) covers entries the log no longer has: it "
            "ends at entry %(end)s") % {"size": pending.tree_size, "root": pending.root_hash, "end": count})
    if integrated > count:
        return TreeVerification(False, count, "", checked, count + 1, _(
            "the stored tree covers %(size)s entries but the log ends at entry %(end)s")
            % {"size": integrated, "end": count})
    return TreeVerification(True, count, compact.root().hex(), checked)


def _check_head(head, computed, check_signature):
    if head.root_hash != computed.hex():
        return _("the signed tree head of %(size)s entries has root %(root)s, but those entries hash to "
                 "%(computed)s (an entry up to here was changed, removed or reordered)") % {
            "size": head.tree_size, "root": head.root_hash, "computed": computed.hex()}
    if not check_signature(head):
        return _("the signed tree head of %(size)s entries does not carry a valid signature of the platform seal") % {
            "size": head.tree_size}
    return None
