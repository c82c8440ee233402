"""Expert draw figures (docs/architecture.md §10; issue 10): a pool of 50,000 experts on PostgreSQL, every exclusion
rule at work, and the three steps of a verifiable draw:

- freeze the candidate list: `request_draw` (exclusions, the frozen list document, its SHA-256, the
  platform's commitment);
- draw: `contribute_regulator_secret` (the seed, every seat picked by rejection sampling over the list);
- verify: `verify_draw_record` (recompute the committee from the published data, as `verify_draw` does).

    .venv/bin/python bench/bench_draw.py [--experts 50000] [--smoke]

Setup (not timed, beyond the pool's bulk insert, shown for scale): a throwaway database of its own
(benchdb.py), a temporary MEDIA_ROOT and PKI; a tender of 通江县 (511921) taken through its real opening a
month ago (published, three sealed bids, opened, closed: tests/realtime/opening_setup.py); then the pool,
bulk-inserted as the pool import does: experts over every county and specialty, among them employees of
the three bidders (by organization and by credit code alone) and of the tenderer, suspended and retired
experts, experts who served the same tenderer a week ago (an earlier completed draw of another of its
tenders), and the draw asks 异地评标 for its second venue, so 通江县's experts are left out there.
--smoke: 2,000 experts.
"""

import argparse
import datetime
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from benchdb import throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

COUNTY = "511921"  # the tender's county
BATCH = 5_000
# Shares of the pool (the rest are active and eligible where their specialty fits).
SHARES = {"bidder": 0.004, "bidder_code": 0.002, "tenderer": 0.003, "suspended": 0.02, "retired": 0.03,
          "recent": 0.001}
COMMITTEE = {"committee_size": 7, "tenderer_representatives": 2}
REQUIREMENTS = [("ENG-ROD", 3, True, False), ("ECO-CST", 2, False, True)]  # (specialty, seats, main, offsite)


def opened_tender():
    """A tender past its opening, as tests/evaluation/conftest.py's `opened_tender` makes it, a month ago."""
    from accounts.models import Region
    from accounts.regions import ensure_regions
    from tests.realtime.opening_setup import opening_scene
    from trading.actions import opening
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    ensure_regions(Region)
    seed_from_package(CalendarDay, CalendarYear)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=32), tick=True):
        scene = opening_scene(3)
        with scene.after_deadline():
            for custodian in scene.custodians[:2]:
                opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))
            opening.open_bids(scene.tender.pk)
            opening.close_opening(actor=scene.host, tender_id=scene.tender.pk)
    scene.tender.refresh_from_db()
    assert scene.tender.status == "opened", scene.tender.status
    return scene


def _id_number(rng, region_code, k):
    from evaluation.actions.pool import id_check_character

    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 30))
    first17 = f"{region_code}{birth:%Y%m%d}{k % 1000:03d}"
    return first17 + id_check_character(first17)


def build_pool(n, scene, rng):
    """n experts, bulk-inserted; returns {kind: [expert ids]} of the experts each rule should leave out."""
    from accounts.models import Region
    from evaluation.models import Expert, Specialty
    from evaluation.specialties import ensure_specialties

    ensure_specialties(Specialty)
    leaves = list(Specialty.objects.filter(parent__isnull=False).order_by("code"))
    regions = list(Region.objects.order_by("code"))
    bidders = [b.organization for b in scene.bidders]
    tenderer = scene.tender.project.owner
    today = timezone.localdate()
    kinds, used = [], set()
    for kind, share in SHARES.items():
        kinds += [kind] * max(1, round(n * share))
    kinds += ["active"] * (n - len(kinds))
    rng.shuffle(kinds)
    rows = []
    for k, kind in enumerate(kinds):
        region = regions[k % len(regions)]
        while True:
            id_number = _id_number(rng, region.code, rng.randrange(10**6))
            if id_number not in used:
                used.add(id_number)
                break
        expert = Expert(name=f"专家{k:05d}", id_number=id_number, phone=f"139{k:08d}", region=region,
                        title="高级工程师", employer_name=f"巴中第{k % 97}设计院")
        if kind == "bidder":
            expert.employer = bidders[k % len(bidders)]
        elif kind == "bidder_code":  # the employer not registered here: known by its credit code alone
            expert.employer, expert.employer_credit_code = None, bidders[k % len(bidders)].credit_code
        elif kind == "tenderer":
            expert.employer = tenderer
        elif kind == "suspended":
            expert.status, expert.suspended_until = Expert.Status.SUSPENDED, today + datetime.timedelta(days=90)
            expert.suspension_reason = "年度考核不合格"
        elif kind == "retired":
            expert.status = Expert.Status.RETIRED
        rows.append(expert)
    Expert.objects.bulk_create(rows, batch_size=BATCH)
    ids = dict(Expert.objects.filter(id_number__in=used).values_list("id_number", "id"))
    Through = Expert.specialties.through
    links = []
    for expert in rows:
        for specialty in rng.sample(leaves, rng.choice((1, 1, 2, 3))):
            links.append(Through(expert_id=ids[expert.id_number], specialty_id=specialty.pk))
    Through.objects.bulk_create(links, batch_size=BATCH)
    by_kind = {}
    for expert, kind in zip(rows, kinds, strict=True):
        by_kind.setdefault(kind, []).append(ids[expert.id_number])
    return by_kind, len(links)


def earlier_service(scene, expert_ids):
    """Experts who served the same tenderer a week ago: a complete draw of another of its tenders,
    bulk-inserted as it stands once answered (the rule reads seats, not how they got there)."""
    from evaluation.models import Draw, DrawRequirement, Seat, Specialty
    from tests.factories import make_tender

    earlier = make_tender(scene.tender.created_by, COUNTY)  # the tenderer's user: same organization
    week_ago = timezone.now() - datetime.timedelta(days=7)
    draw = Draw.objects.create(tender=earlier, status=Draw.Status.COMPLETE, committee_size=len(expert_ids),
                               requested_by=scene.host, requested_at=week_ago)
    requirement = DrawRequirement.objects.create(draw=draw, specialty=Specialty.objects.get(code="ENG-ROD"),
                                                 count=len(expert_ids))
    Seat.objects.bulk_create([
        Seat(draw=draw, requirement=requirement, expert_id=pk, counter=i, status=Seat.Status.ACCEPTED,
             notified_at=week_ago, responded_at=week_ago, checked_in_at=week_ago)
        for i, pk in enumerate(expert_ids)
    ])


def requirements(scene):
    from evaluation.models import Venue

    main = Venue.objects.create(name="巴中市公共资源交易中心 评标室一", region_id=scene.tender.region_id, seats=12)
    sub = Venue.objects.create(name="平昌县公共资源交易分中心 评标室", region=_region("511923"), seats=8)
    return [{"specialty": code, "count": count, "venue": (main if is_main else sub).pk, "main": is_main,
             "offsite": offsite} for code, count, is_main, offsite in REQUIREMENTS]


def _region(code):
    from accounts.models import Region

    return Region.objects.get(code=code)


def timed(fn, *args, **kwargs):
    """(result, seconds, SQL statements): the count shows whether a step queries per expert."""
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
    return result, seconds, len(captured)


def figures(args, started):
    from evaluation.actions import draw as draw_actions
    from evaluation.models import Draw, Exclusion
    from evaluation.records import produce_draw_record
    from ledger.models import Entry
    from trading.models import Tender

    rng = random.Random(2026)  # noqa: S311 (made-up pool, nothing secret)
    print("taking a tender through its opening (3 sealed bids)…", flush=True)
    scene = opened_tender()
    print(f"bulk-inserting a pool of {args.experts:,} experts…", flush=True)
    (by_kind, links), pool_s, pool_q = timed(build_pool, args.experts, scene, rng)
    earlier_service(scene, by_kind["recent"])
    wanted = requirements(scene)
    print(f"setup took {time.perf_counter() - started:.0f} s; drawing…", flush=True)

    draw, freeze_s, freeze_q = timed(draw_actions.request_draw, actor=scene.host, tender_id=scene.tender.pk,
                                     requirements=wanted, remote=True, **COMMITTEE)
    _, draw_s, draw_q = timed(draw_actions.contribute_regulator_secret, actor=scene.regulator, draw_id=draw.pk,
                              secret_hex=os.urandom(32).hex())
    # The evaluation session is not built yet: the tender is moved past it so that the draw can be revealed.
    Tender.objects.filter(pk=scene.tender.pk).update(status=Tender.Status.EVALUATED)
    draw_actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    draw = Draw.objects.get(pk=draw.pk)
    problems, verify_s, verify_q = timed(draw_actions.verify_draw_record, draw)
    assert problems == [], problems
    record, record_s, record_q = timed(produce_draw_record, draw, full=True)
    pages = json.loads(Entry.objects.get(seq=record.ledger_seq).payload)["pages"]

    excluded = dict(Exclusion.objects.filter(draw=draw).values_list("reason").annotate(n=Count("id"))
                    .order_by("reason"))
    expected = {"employed_by_bidder": len(by_kind["bidder"]) + len(by_kind["bidder_code"]),
                "employed_by_tenderer": len(by_kind["tenderer"]), "recent_same_tenderer": len(by_kind["recent"]),
                "suspended": len(by_kind["suspended"]), "retired": len(by_kind["retired"])}
    assert excluded == expected, (excluded, expected)
    candidates = len(json.loads(draw.frozen_list)["candidates"])
    offsite_left_out = sum(1 for c in json.loads(draw.frozen_list)["candidates"]
                           if c["region"] == COUNTY and "ECO-CST" in c["specialties"])
    print()
    print(f"pool: {args.experts:,} experts, {links:,} specialty links; {candidates:,} candidates on the frozen list "
          f"({len(draw.frozen_list) / 1e6:.1f} MB of canonical JSON); {draw.seats.count()} seats drawn; "
          f"verify_draw: {'committee matches' if not problems else problems}")
    print("exclusions: " + ", ".join(f"{k} {v:,}" for k, v in excluded.items())
          + f"; 异地评标 (工程造价 at the sub-venue): {offsite_left_out:,} candidates of 通江县 not eligible there")
    print(f"{'step':<60}{'seconds':>10}{'SQL':>8}")
    for label, seconds, statements in [
        (f"bulk insert of the pool ({args.experts:,} experts, setup)", pool_s, pool_q),
        ("freeze the list (request_draw)", freeze_s, freeze_q),
        ("draw 5 seats (contribute_regulator_secret)", draw_s, draw_q),
        ("verify (verify_draw_record, as verify_draw)", verify_s, verify_q),
        (f"full draw record: render + seal ({pages} pages, {record.size / 1024:.0f} KiB)", record_s, record_q),
    ]:
        print(f"{label:<60}{seconds:>10.3f}{statements:>8}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=50_000)
    parser.add_argument("--smoke", action="store_true", help="2,000 experts: does it still run?")
    args = parser.parse_args(argv)
    if args.smoke:
        args.experts = 2_000

    from records import pki

    tmp = Path(tempfile.mkdtemp(prefix="bench-draw-"))
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users only
    settings.MEDIA_ROOT = tmp / "media"
    settings.PKI_DIR = tmp / "pki"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the scene uploads bids through the API
    print(f"database: {connection.vendor}; channel layer: {settings.CHANNEL_LAYERS['default']['BACKEND']}")
    started = time.perf_counter()
    pki.create_authority(settings.PKI_DIR)
    try:
        with throwaway_database("draw", tmp):
            figures(args, started)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"total run {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
