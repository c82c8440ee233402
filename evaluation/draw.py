"""The expert draw as pure functions: anyone can recompute a committee from published data.

Specified in docs/expert-draw.md; nothing here touches the database. The frozen list document is

    {"format": "expert-draw/1", "draw": <id>, "tender": "<code>", "tender_region": "<code>",
     "local_regions": ["<code>", ...], "committee_size": n, "representatives": r,
     "requirements": [{"index": 0, "specialty": "<code>", "venue": <id or null>, "main": bool,
                       "offsite": bool, "count": n}, ...],
     "candidates": [{"expert": <id>, "region": "<code>", "specialties": ["<code>", ...]}, ...],
     "exclusions": [{"expert": <id>, "reason": "<code>"}, ...]}

with candidates sorted by expert id, specialties and local_regions sorted, exclusions sorted by
(expert, reason); it is stored and hashed as canonical JSON (ledger.canonical).
"""

import hashlib

from ledger.canonical import canonical_json

FORMAT = "expert-draw/1"


class Shortage(Exception):
    """No eligible candidate is left for a requirement."""

    def __init__(self, requirement):
        super().__init__(f"no candidate left for requirement {requirement['index']}")
        self.requirement = requirement


def frozen_list_bytes(document) -> bytes:
    return canonical_json(document)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commitment(secret_hex: str) -> str:
    """A secret's commitment: SHA-256 of its 32 bytes."""
    return sha256_hex(bytes.fromhex(secret_hex))


def compute_seed(platform_secret_hex: str, regulator_secret_hex: str, frozen_list_sha256_hex: str) -> str:
    """seed = SHA-256(platform secret ‖ regulator secret ‖ SHA-256 of the frozen list), all as raw bytes."""
    return sha256_hex(bytes.fromhex(platform_secret_hex) + bytes.fromhex(regulator_secret_hex)
                      + bytes.fromhex(frozen_list_sha256_hex))


def uniform(seed_hex: str, counter: int, n: int) -> int:
    """An index in [0, n) from the seed's stream at `counter`, without modulo bias (rejection sampling
    over 64-bit blocks: block j = SHA-256(seed ‖ counter as 8 bytes big-endian ‖ j as 4 bytes big-endian))."""
    if n <= 0:
        raise ValueError("n must be positive")
    seed = bytes.fromhex(seed_hex)
    limit = 2**64 - (2**64 % n)
    j = 0
    while True:
        block = hashlib.sha256(seed + counter.to_bytes(8, "big") + j.to_bytes(4, "big")).digest()
        x = int.from_bytes(block[:8], "big")
        if x < limit:
            return x % n
        j += 1


def seat_commitment(draw_id: int, counter: int, expert_id: int, nonce_hex: str) -> str:
    """What the log shows of a pick before the reveal: SHA-256 of canonical
    {"counter", "draw", "expert", "nonce"}; the random nonce keeps anyone from trying every expert id."""
    return sha256_hex(canonical_json({"draw": draw_id, "counter": counter, "expert": expert_id, "nonce": nonce_hex}))


def eligible(document, requirement, taken=frozenset()) -> list[int]:
    """Candidate expert ids for a requirement, ascending, leaving out every expert already picked in
    this draw (whatever their answer) and, for an offsite requirement (异地评标), experts of the
    tender's county (a region in local_regions)."""
    local = set(document["local_regions"]) if requirement["offsite"] else ()
    specialty = requirement["specialty"]
    return [c["expert"] for c in document["candidates"]
            if specialty in c["specialties"] and c["expert"] not in taken and c["region"] not in local]


def shortfalls(document) -> list[tuple[dict, int]]:
    """Requirements the first round might fail to fill, with how many candidates are sure to be left.

    A requirement is safe when its eligible candidates cover its own seats plus, for every other
    requirement, as many as that one could take from the overlap: then no order of picks leaves it
    short. Returns [(requirement, candidates left in the worst case)] for the unsafe ones."""
    pools = [set(eligible(document, r)) for r in document["requirements"]]
    out = []
    for i, requirement in enumerate(document["requirements"]):
        others = sum(min(r["count"], len(pools[i] & pools[j]))
                     for j, r in enumerate(document["requirements"]) if j != i)
        left = len(pools[i]) - others
        if left < requirement["count"]:
            out.append((requirement, max(left, 0)))
    return out


def pick(seed_hex, document, requirement_index, counter, taken) -> int:
    requirement = document["requirements"][requirement_index]
    pool = eligible(document, requirement, taken)
    if not pool:
        raise Shortage(requirement)
    return pool[uniform(seed_hex, counter, len(pool))]


def initial_picks(seed_hex, document) -> list[tuple[int, int, int]]:
    """The first round: requirements in order, each seat in turn, counters 0, 1, 2, …
    Returns [(counter, requirement index, expert id)]."""
    taken, picks, counter = set(), [], 0
    for requirement in document["requirements"]:
        for _ in range(requirement["count"]):
            expert = pick(seed_hex, document, requirement["index"], counter, taken)
            taken.add(expert)
            picks.append((counter, requirement["index"], expert))
            counter += 1
    return picks


class Problem(tuple):
    """A mismatch found by replay(): (kind, counter, expected expert, found expert). Kinds: "pick" (the
    seat at `counter` holds another expert than the procedure gives), "replaces" (a later pick that
    replaces no declined or timed-out pick), "counters" (counters not 0, 1, 2, … without gaps),
    "shortage" (the list cannot fill the first round)."""

    def __new__(cls, kind, counter=None, expected=None, found=None):
        return super().__new__(cls, (kind, counter, expected, found))


def replay(seed_hex, document, seats) -> list[Problem]:
    """Check a draw's seats against the procedure. `seats` are the draw's picks:
    [{"counter", "requirement", "expert", "status", "replaces" (counter or None)}]. The first round must
    be initial_picks(); each later pick, in counter order, must be the pick for the requirement of the
    seat it replaces, at its own counter, with every earlier pick taken; a pick is replaced at most
    once and only when it was declined, timed out or conflicted. Returns the mismatches (empty: it verifies)."""
    try:
        expected = initial_picks(seed_hex, document)
    except Shortage as exc:
        return [Problem("shortage", expected=exc.requirement["index"])]
    problems = []
    by_counter = {s["counter"]: s for s in seats}
    taken, replaced_once = set(), set()
    for counter, requirement, expert in expected:
        seat = by_counter.get(counter)
        if seat is None or seat["requirement"] != requirement or seat["expert"] != expert:
            problems.append(Problem("pick", counter, expert, None if seat is None else seat["expert"]))
        taken.add(expert)
    for seat in sorted(seats, key=lambda s: s["counter"]):
        if seat["counter"] < len(expected):
            continue
        replaced = by_counter.get(seat.get("replaces"))
        if (replaced is None or replaced["status"] in ("accepted", "notified")
                or replaced["counter"] >= seat["counter"] or replaced["counter"] in replaced_once):
            problems.append(Problem("replaces", seat["counter"], None, seat["expert"]))
            taken.add(seat["expert"])
            continue
        replaced_once.add(replaced["counter"])
        try:
            want = pick(seed_hex, document, replaced["requirement"], seat["counter"], taken)
        except Shortage:
            want = None
        if want != seat["expert"] or seat["requirement"] != replaced["requirement"]:
            problems.append(Problem("pick", seat["counter"], want, seat["expert"]))
        taken.add(seat["expert"])
    counters = sorted(by_counter)
    if counters != list(range(len(counters))):
        problems.append(Problem("counters"))
    return problems
