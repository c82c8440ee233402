"""Shared fixtures of the evaluation tests (pool, draw, records): specialties, an opened tender, a pool.

`opened_tender` goes through the real opening (tests/realtime/opening_setup.py): published, three
sealed bids, two shares released after the deadline, bids opened, opening closed → status OPENED.
`expert_pool(n, ...)` writes experts in bulk, as the pool import does (one row per expert, no log
entry per expert), so a pool of thousands costs a few queries.
"""

import itertools

import pytest

_ids = itertools.count(1)


@pytest.fixture
def specialties(db):
    """{code: Specialty} of every leaf of the taxonomy (evaluation/specialties.py), e.g. "ENG-BLD" 房屋建筑,
    "ECO-CST" 工程造价. The data migration makes them; transactional tests flush them, so make sure."""
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties

    ensure_specialties(Specialty)
    return {s.code: s for s in Specialty.objects.filter(parent__isnull=False).select_related("parent")}


@pytest.fixture
def opened_tender(platform_pki, regions):
    """A Scene (tests/realtime/opening_setup.py) whose tender is OPENED in 通江县 (511921): `.tender`,
    `.host` (staff of 511921), `.regulator` (regulator of 511921), `.bidders` (3, their organizations bid),
    `.outsider`."""
    from tests.realtime.opening_setup import opening_scene
    from trading.actions import opening

    scene = opening_scene(3)
    with scene.after_deadline():
        for custodian in scene.custodians[:2]:
            opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))
        opening.open_bids(scene.tender.pk)
        opening.close_opening(actor=scene.host, tender_id=scene.tender.pk)
    scene.tender.refresh_from_db()
    assert scene.tender.status == "opened"
    return scene


def make_experts(n, *, specialties, region_code="511900", employer=None, employer_credit_code="",
                 status="active", suspended_until=None, phone_prefix="139"):
    """n experts holding every Specialty in `specialties`, in the region; returns them in id order."""
    from accounts.models import Region
    from evaluation.models import Expert

    region = Region.objects.get(code=region_code)
    rows = []
    for _ in range(n):
        k = next(_ids)
        rows.append(Expert(name=f"专家{k}", id_number=f"5119{k:014d}", phone=f"{phone_prefix}{k:08d}",
                           employer=employer, employer_credit_code=employer_credit_code, region=region,
                           title="高级工程师", status=status, suspended_until=suspended_until))
    Expert.objects.bulk_create(rows)
    experts = list(Expert.objects.filter(id_number__in=[e.id_number for e in rows]).order_by("id"))
    Through = Expert.specialties.through
    Through.objects.bulk_create([Through(expert_id=e.pk, specialty_id=s.pk) for e in experts for s in specialties])
    return experts


@pytest.fixture
def expert_pool(specialties):
    """expert_pool(n, specialties=["ENG-BLD", "ECO-CST"] (codes, the default), region_code="511900",
    employer=None, employer_credit_code="", status="active", suspended_until=None) → experts in id order."""

    def build(n, specialties=("ENG-BLD", "ECO-CST"), **kwargs):
        chosen = [_specialties[code] for code in specialties]
        return make_experts(n, specialties=chosen, **kwargs)

    _specialties = specialties
    return build
