"""The trading log's Merkle tree: RFC 9162 (Certificate Transparency 2.0) §2.1, SHA-256.

Pure functions, free of Django (docs/trading-log.md has the format). Leaf n (0-based) of the tree is the
log's entry seq = n + 1; its leaf data is the canonical JSON of the entry's document (ledger.chain).

    leaf hash  = SHA-256(0x00 ‖ leaf data)
    node hash  = SHA-256(0x01 ‖ left ‖ right)
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n

Proofs are built over a `node(level, index)` callable that answers the hash of a *complete* subtree
(2**level leaves starting at index * 2**level): the stored tiles answer it (ledger.tree), a list of leaf
hashes answers it in tests. Verification follows the RFC's §2.1.3.2 and §2.1.4.2 step by step.
"""

import hashlib

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def fold(hashes):
    """The root of a complete subtree given its 2**k hashes one level down (or its leaf hashes)."""
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def subtree_hash(lo: int, hi: int, node) -> bytes:
    """MTH of leaves [lo, hi); lo is aligned as every range of the RFC's recursion is."""
    n = hi - lo
    if n <= 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and lo % n == 0:
        return node(n.bit_length() - 1, lo // n)
    k = split_point(n)
    return node_hash(subtree_hash(lo, lo + k, node), subtree_hash(lo + k, hi, node))


def root_hash(size: int, node) -> bytes:
    return subtree_hash(0, size, node)


def inclusion_path(index: int, size: int, node) -> list:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, the leaf's sibling first."""
    if not 0 <= index < size:
        raise ValueError("the leaf index must be below the tree size")
    path, lo, hi = [], 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            path.append(subtree_hash(lo + k, hi, node))
            hi = lo + k
        else:
            path.append(subtree_hash(lo, lo + k, node))
            lo += k
    return path[::-1]


def consistency_path(first: int, second: int, node) -> list:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1 (SUBPROOF with b = true at the top)."""
    if not 0 < first <= second:
        raise ValueError("need 0 < first <= second")
    path, lo, hi, m, whole = [], 0, second, first, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                path.append(subtree_hash(lo, hi, node))
            break
        k = split_point(n)
        if m <= k:
            path.append(subtree_hash(lo + k, hi, node))
            hi = lo + k
        else:
            path.append(subtree_hash(lo, lo + k, node))
            lo, m, whole = lo + k, m - k, False
    return path[::-1]


def verify_inclusion(leaf: bytes, index: int, size: int, path, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path) -> bool:
    """RFC 9162 §2.1.4.2; equal sizes need an empty path and equal roots."""
    path = list(path)
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


class CompactRange:
    """The roots of the complete subtrees covering leaves [0, size), for streaming the root over a log
    read once, in order (verify_ledger): O(log n) memory."""

    def __init__(self):
        self.size, self._stack = 0, []  # [(level, hash)], levels strictly decreasing

    def append(self, leaf: bytes):
        level, h = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            h = node_hash(self._stack.pop()[1], h)
            level += 1
        self._stack.append((level, h))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        h = self._stack[-1][1]
        for _level, left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h
