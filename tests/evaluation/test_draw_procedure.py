"""The pure draw procedure (evaluation/draw.py, docs/expert-draw.md): seed, uniform picks without modulo
bias, eligibility, the shortage rule, determinism and replay."""

import hashlib

from evaluation import draw as procedure

PLATFORM, REGULATOR = "11" * 32, "22" * 32


def _document(n=12, requirements=None):
    return {
        "format": "expert-draw/1", "draw": 7, "tender": "T-1", "tender_region": "511921",
        "local_regions": ["511921"], "committee_size": 5, "representatives": 0,
        "requirements": requirements or [
            {"index": 0, "specialty": "ENG-BLD", "venue": None, "main": False, "offsite": False, "count": 3},
            {"index": 1, "specialty": "ECO-CST", "venue": None, "main": False, "offsite": True, "count": 2}],
        "candidates": [{"expert": 100 + i, "region": "511921" if i % 3 == 0 else "511922",
                        "specialties": ["ECO-CST", "ENG-BLD"] if i % 2 else ["ENG-BLD"]} for i in range(n)],
        "exclusions": [{"expert": 99, "reason": "retired"}],
    }


def _seed(document):
    return procedure.compute_seed(PLATFORM, REGULATOR, procedure.sha256_hex(procedure.frozen_list_bytes(document)))


def test_the_seed_is_sha256_of_both_secrets_and_the_lists_hash():
    list_hash = "33" * 32
    assert procedure.compute_seed(PLATFORM, REGULATOR, list_hash) == hashlib.sha256(
        b"\x11" * 32 + b"\x22" * 32 + b"\x33" * 32).hexdigest()
    assert procedure.commitment(PLATFORM) == hashlib.sha256(b"\x11" * 32).hexdigest()


def _uniform_reference(seed_hex, counter, n):
    # Written from the document's words, independently of evaluation.draw.
    j = 0
    while True:
        data = bytes.fromhex(seed_hex) + counter.to_bytes(8, "big") + j.to_bytes(4, "big")
        x = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
        if x < (2**64 // n) * n:
            return x % n
        j += 1


def test_uniform_follows_the_document_including_rejections():
    seed = "44" * 32
    for counter in range(50):
        for n in (1, 2, 3, 7, 1000, 50_000):
            assert procedure.uniform(seed, counter, n) == _uniform_reference(seed, counter, n)
    # With n just above 2^63, about half of the first blocks are rejected: some counter here is.
    n = 2**63 + 1
    first_blocks = [int.from_bytes(hashlib.sha256(bytes.fromhex(seed) + c.to_bytes(8, "big") + bytes(4)).digest()[:8],
                                   "big") for c in range(20)]
    rejected = [c for c, x in enumerate(first_blocks) if x >= n]
    assert rejected
    assert procedure.uniform(seed, rejected[0], n) == _uniform_reference(seed, rejected[0], n)
    assert procedure.uniform(seed, rejected[0], n) != first_blocks[rejected[0]] % n


def test_an_offsite_requirement_leaves_out_the_tenders_county_and_taken_experts():
    document = _document()
    offsite = document["requirements"][1]
    assert procedure.eligible(document, offsite) == [101, 105, 107, 111]
    assert procedure.eligible(document, offsite, taken={105}) == [101, 107, 111]
    assert procedure.eligible(document, document["requirements"][0])[:4] == [100, 101, 102, 103]


def test_the_same_secrets_and_list_give_the_same_committee():
    document = _document()
    picks = procedure.initial_picks(_seed(document), document)
    assert picks == procedure.initial_picks(_seed(_document()), _document())
    assert [(c, r) for c, r, _e in picks] == [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)]
    assert len({e for _c, _r, e in picks}) == 5
    assert all(e in procedure.eligible(document, document["requirements"][1]) for _c, r, e in picks if r == 1)
    assert procedure.replay(_seed(document), document, _seats(picks)) == []


def _seats(picks, statuses=None):
    statuses = statuses or {}
    return [{"counter": c, "requirement": r, "expert": e, "status": statuses.get(c, "accepted"), "replaces": None}
            for c, r, e in picks]


def test_replay_reports_a_changed_secret_list_or_order():
    document = _document()
    seed = _seed(document)
    seats = _seats(procedure.initial_picks(seed, document))
    other_seed = procedure.compute_seed(PLATFORM, "23" * 32, procedure.sha256_hex(procedure.frozen_list_bytes(document)))
    assert procedure.replay(other_seed, document, seats)  # another regulator secret: another committee
    changed = _document(n=13)
    assert procedure.replay(seed, changed, seats)  # another list under the same seed
    swapped = [dict(s) for s in seats]
    swapped[0]["expert"], swapped[1]["expert"] = swapped[1]["expert"], swapped[0]["expert"]
    assert procedure.replay(seed, document, swapped) == [
        ("pick", 0, seats[0]["expert"], seats[1]["expert"]), ("pick", 1, seats[1]["expert"], seats[0]["expert"])]


def test_a_replacement_verifies_and_a_forged_one_does_not():
    document = _document(n=30)
    seed = _seed(document)
    picks = procedure.initial_picks(seed, document)
    seats = _seats(picks, {3: "declined"})
    taken = {e for _c, _r, e in picks}
    replacement = procedure.pick(seed, document, 1, 5, taken)
    good = seats + [{"counter": 5, "requirement": 1, "expert": replacement, "status": "accepted", "replaces": 3}]
    assert procedure.replay(seed, document, good) == []
    other = next(e for e in procedure.eligible(document, document["requirements"][1], taken) if e != replacement)
    forged = seats + [{"counter": 5, "requirement": 1, "expert": other, "status": "accepted", "replaces": 3}]
    assert procedure.replay(seed, document, forged) == [("pick", 5, replacement, other)]
    of_accepted = seats + [{"counter": 5, "requirement": 0, "expert": replacement, "status": "accepted", "replaces": 0}]
    assert procedure.replay(seed, document, of_accepted) == [("replaces", 5, None, replacement)]
    gap = seats + [{"counter": 6, "requirement": 1, "expert": replacement, "status": "accepted", "replaces": 3}]
    assert ("counters", None, None, None) in procedure.replay(seed, document, gap)


def test_the_shortage_rule_counts_what_other_requirements_may_take():
    # 4 hold both specialties, 2 only ECO-CST: 3 ENG-BLD seats may take 3 of the 4 → 3 sure for ECO-CST.
    document = {"local_regions": [], "requirements": [
        {"index": 0, "specialty": "ENG-BLD", "venue": None, "offsite": False, "count": 3},
        {"index": 1, "specialty": "ECO-CST", "venue": None, "offsite": False, "count": 4}],
        "candidates": [{"expert": i, "region": "511922", "specialties": ["ECO-CST", "ENG-BLD"]} for i in range(4)]
        + [{"expert": 10 + i, "region": "511922", "specialties": ["ECO-CST"]} for i in range(2)]}
    assert procedure.shortfalls(document) == [(document["requirements"][0], 0), (document["requirements"][1], 3)]
    document["requirements"][1]["count"] = 3
    document["requirements"][0]["count"] = 1
    assert procedure.shortfalls(document) == []


def test_the_worked_example_of_the_document_is_what_the_code_computes():
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "expert-draw.md").read_text()
    listed = re.search(r"```json\n(.*)\n```", text).group(1)
    document = json.loads(listed)
    assert procedure.frozen_list_bytes(document).decode() == listed
    list_hash = procedure.sha256_hex(listed.encode())
    seed = procedure.compute_seed(PLATFORM, REGULATOR, list_hash)
    for value in (list_hash, procedure.commitment(PLATFORM), procedure.commitment(REGULATOR), seed,
                  procedure.seat_commitment(1, 0, 11, "00" * 31 + "01")):
        assert f"`{value}`" in text
    taken = set()
    picks = procedure.initial_picks(seed, document)
    for counter, requirement in [(c, r) for c, r, _e in picks] + [(5, 0)]:
        pool = procedure.eligible(document, document["requirements"][requirement], taken)
        block = hashlib.sha256(bytes.fromhex(seed) + counter.to_bytes(8, "big") + bytes(4)).digest()[:8]
        x, index = int.from_bytes(block, "big"), procedure.uniform(seed, counter, len(pool))
        row = f"| {counter} | {requirement} | {pool} | {len(pool)} | {block.hex()} | {x} | {x % len(pool)} | {index} | {pool[index]} |"
        assert row in text
        taken.add(pool[index])
    assert [e for _c, _r, e in picks] == [11, 16, 12, 17, 18]
