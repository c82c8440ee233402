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
from .chain import _Malformed, stored_bytes  # one definition of an entry's hashed document
from .models import GENESIS_HASH, Tile, TreeState

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
H = merkle.HASH_SIZE


class TreeError(RuntimeError):
    """The entries cannot be integrated as they are: the tree must not grow over a broken log."""

    def __init__(self, seq, reason):
        super().__init__(f"entry {seq}: {reason}")
        self.seq, self.reason = seq, reason


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
                    data = stored_bytes(row)
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
    tree heads ordered by size: tree_size, root_hash, and whatever check_signature(head) reads). This reads
    the log on its own; `ledger.chain.verify(walk=Walk(...))` checks the chain and the tree in one read."""
    walk = Walk(heads, check_signature)
    try:
        count = 0
        while rows := _rows(count, chunk):
            for row in rows:
                try:
                    data = stored_bytes(row)
                except (_Malformed, TypeError, ValueError):
                    return walk.fail(row[0], _("it holds a value the platform never writes"))
                failure = walk.add(row[0], data)
                if failure is not None:
                    return failure
                count = row[0]
            if progress:
                progress(count)
        return walk.finish()
    finally:
        walk.close()


class Walk:
    """The tree recomputed entry by entry, in order (`add(seq, hashed bytes)`), compared with the stored
    tiles and with every signed tree head as its size is reached. `add` returns a failed TreeVerification
    or None; `finish` the result once every hashed entry was added."""

    def __init__(self, heads, check_signature):
        self._heads, self._check_signature = iter(heads), check_signature
        self._stored, self._compact, self._bad = _StoredTiles(), merkle.CompactRange(), []
        self._builder = _Builder(full=self._compare_full)
        self.count, self.checked, self.failure, self._started = 0, 0, None, False

    def _start(self):
        """On the first entry, not before: the walk may be made before the sequencer integrates what was
        committed (chain.verify does that first)."""
        self._pending = next(self._heads, None)
        self._integrated = integrated_size()
        self._started = True

    def _compare_full(self, level, index, data):
        if not self._bad and ((index + 1) * TILE_WIDTH << (TILE_HEIGHT * level)) <= self._integrated \
                and self._stored.get(level, index) != data:
            self._bad.append((level, index))

    def fail(self, seq, reason):
        self.failure = TreeVerification(False, self.count, "", self.checked, seq, reason)
        return self.failure

    def add(self, seq, data):
        """Returns the walk's first failure (and is then deaf: `finish` returns it), or None."""
        if self.failure is not None:
            return self.failure
        if not self._started:
            self._start()
        if seq != self.count + 1:
            return self.fail(self.count + 1, _("the entry is missing"))
        leaf = merkle.leaf_hash(data)
        offset = (seq - 1) % TILE_WIDTH * H
        if seq <= self._integrated and self._stored.get(0, (seq - 1) // TILE_WIDTH)[offset:offset + H] != leaf:
            return self.fail(seq, _(
                "it is not the entry the Merkle tree integrated: its leaf hash differs from the stored tree's"))
        self._compact.append(leaf)
        self._builder.push(0, leaf)
        self.count = seq
        if self._bad:
            level, index = self._bad[0]
            return self.fail(seq, _("the stored tree tile %(tile)s does not match the entries") % {
                "tile": f"{level}/{index}"})
        if seq == self._integrated:
            for level, index, tile in self._builder.partial():
                if self._stored.get(level, index) != tile:
                    return self.fail(seq, _("the stored tree tile %(tile)s does not match the entries") % {
                        "tile": f"{level}/{index}"})
        while self._pending is not None and self._pending.tree_size == seq:
            failure = _check_head(self._pending, self._compact.root(), self._check_signature)
            if failure:
                return self.fail(seq, failure)
            self.checked, self._pending = self.checked + 1, next(self._heads, None)
        return None

    def finish(self):
        if self.failure is not None:
            return self.failure
        if not self._started:
            self._start()
        count = self.count
        if self._pending is not None:
            return self.fail(count + 1, _(
                "the signed tree head of %(size)s entries (root %(root)s) covers entries the log no longer has: it "
                "ends at entry %(end)s") % {"size": self._pending.tree_size, "root": self._pending.root_hash,
                                           "end": count})
        if self._integrated > count:
            return self.fail(count + 1, _("the stored tree covers %(size)s entries but the log ends at entry "
                                          "%(end)s") % {"size": self._integrated, "end": count})
        return TreeVerification(True, count, self._compact.root().hex(), self.checked)

    def close(self):
        if hasattr(self._heads, "close"):  # a server-side cursor left open when verification stops early
            self._heads.close()


def _check_head(head, computed, check_signature):
    if head.root_hash != computed.hex():
        return _("the signed tree head of %(size)s entries has root %(root)s, but those entries hash to "
                 "%(computed)s (an entry up to here was changed, removed or reordered)") % {
            "size": head.tree_size, "root": head.root_hash, "computed": computed.hex()}
    if not check_signature(head):
        return _("the signed tree head of %(size)s entries does not carry a valid signature of the platform seal") % {
            "size": head.tree_size}
    return None
