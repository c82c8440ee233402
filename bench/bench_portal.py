"""Portal figures (issue: "With 100,000 published tenders: portal list and search, first page and page 500"),
on PostgreSQL:

- p50 / p95 latency of the portal list, the county filter, the title search and the API list, each on page 1
  and page 500, through django.test.Client (the whole Django stack, no network);
- SQL queries per request, which must not grow with the page or with the data: the same requests run at
  10,000 and at 100,000 tenders;
- EXPLAIN ANALYZE of the slowest query of each request at the largest size.

    .venv/bin/python bench/bench_portal.py [--smoke]

Runs in a throwaway database of its own (benchdb.py). Tenders are bulk-inserted (bench data only: real
writes go through the actions). --smoke: 300 and 600 tenders, page 10, 3 runs (does it still run?).
"""

import argparse
import datetime
import math
import os
import random
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

import django  # noqa: E402

django.setup()

from benchdb import throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import actions as account_actions  # noqa: E402
from accounts.credit_code import make_code  # noqa: E402
from accounts.models import Organization, Region  # noqa: E402
from trading.models import Project, Tender  # noqa: E402
from trading.rules import STANDARD_BID_LETTER_FIELDS  # noqa: E402

SIZES = [10_000, 100_000]
RUNS = 30
WARMUP = 3
BATCH = 2_000
SEARCH = "改造工程"  # in about one tender in eight: page 500 exists at 100,000
PAGE = 500
REQUESTS = [
    "/tenders/",
    "/tenders/?page={page}",
    "/tenders/?region=511921",
    "/tenders/?region=511921&page={page}",
    f"/tenders/?q={SEARCH}",
    f"/tenders/?q={SEARCH}&page={{page}}",
    "/api/tenders/",
    "/api/tenders/?page={page}",
]

TOWNS = ["江口镇", "沙溪镇", "铁佛镇", "长赤镇", "光雾山镇", "白衣镇", "柳林镇", "三江镇", "清江镇", "曾口镇",
         "化成镇", "大和乡", "兴文街道", "回风街道", "东城街道", "诺水河镇", "至诚镇", "驷马镇", "岳家镇", "正直镇"]
# category → (weight, subjects)
SUBJECTS = {
    "works": (40, ["道路改造工程", "桥梁新建工程", "学校教学楼建设工程", "农村饮水安全工程", "污水处理厂提标改造工程",
                   "河道综合治理工程", "老旧小区改造工程", "卫生院业务用房建设工程", "高标准农田建设项目"]),
    "procurement": (35, ["医疗设备采购", "教学设备采购", "办公家具采购", "公务用车采购", "信息化平台建设采购",
                         "物业管理服务采购", "食堂食材配送服务采购"]),
    "land": (10, ["国有建设用地使用权出让", "商住用地使用权挂牌出让", "工业用地使用权出让"]),
    "mining": (5, ["建筑用砂岩矿采矿权出让", "石灰岩矿采矿权出让", "页岩矿采矿权出让"]),
    "assets": (10, ["闲置厂房租赁权转让", "国有股权转让", "门面房租赁权招租", "报废车辆处置"]),
}
SUFFIXES = ["", "", "", "一标段", "二标段", "三标段", "(第二次)", "(重新招标)"]
CLOSED_FATES = ["closed"] * 3 + ["evaluated", "publicizing"] + ["awarded"] * 6 + ["failed", "terminated"]


def p95(samples):
    """Nearest rank: the smallest sample not exceeded by 95 % of them."""
    return sorted(samples)[math.ceil(0.95 * len(samples)) - 1]


def owner():
    """One tenderer organization and user, through the actions (every row has its ledger entry)."""
    org = account_actions.create_organization(actor=None, name="巴中市基准测试招标人", kind=Organization.Kind.TENDERER,
                                              credit_code=make_code("91511900MA0000001"), region_code="511900")
    user = account_actions.create_user(actor=None, username="bench_tenderer", password=secrets.token_urlsafe(16),
                                       full_name="基准测试", organization=org)
    return org, user


def insert_tenders(start, count, org, user, rng):
    """Tenders start+1 … start+count, one project each. Tender n of SIZES[-1] is published at n/SIZES[-1]
    of the last three years, give or take two days: rows land in the table in about the order they are
    published, as on the platform (it matters to the planner)."""
    regions = list(Region.objects.order_by("code"))
    categories = list(SUBJECTS)
    weights = [SUBJECTS[c][0] for c in categories]
    now = timezone.now()
    span = datetime.timedelta(days=3 * 365)
    n = start
    while n < start + count:
        size = min(BATCH, start + count - n)
        projects, tenders = [], []
        for _ in range(size):
            n += 1
            region = rng.choice(regions)
            category = rng.choices(categories, weights)[0]
            subject = rng.choice(SUBJECTS[category][1])
            title = f"{region.name}{rng.choice(TOWNS)}{subject}{rng.choice(SUFFIXES)}"
            published = now - span + span * n / SIZES[-1] - datetime.timedelta(seconds=rng.randrange(2 * 86400))
            deadline = published + datetime.timedelta(days=rng.randint(21, 40), hours=rng.randint(0, 8))
            status = "published" if deadline > now else rng.choice(CLOSED_FATES)
            year = timezone.localtime(published).year
            price = rng.randrange(100_000, 500_000_000) * 100
            projects.append(Project(code=f"BZ{region.code}-{year}-B{n:06d}", name=title[:60], region=region,
                                    category=category, owner=org, created_by=user))
            tenders.append(Tender(
                code=f"BZ{region.code}-{year}-B{n:06d}-01", title=title, region=region, category=category,
                status=status, description=f"{title}。", estimated_price_fen=price, bid_security_fen=price // 100,
                documents_from=published, documents_until=published + datetime.timedelta(days=7),
                bid_deadline=deadline, venue="巴中市公共资源交易中心 不见面开标大厅", evaluation_method="lowest_price",
                criteria=[], bid_letter_fields=STANDARD_BID_LETTER_FIELDS, created_by=user, submitted_at=published,
                published_at=published))
        Project.objects.bulk_create(projects)
        for project, tender in zip(projects, tenders, strict=True):
            tender.project = project
        Tender.objects.bulk_create(tenders)
        if n % 10_000 == 0:
            print(f"  wrote {n:,} tenders", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The steady state autovacuum keeps in production: visibility map set, planner statistics fresh.
            cursor.execute("VACUUM ANALYZE")


def served_page(response):
    """Which page the server answered with: the HTML pager's "n / m", or the API's count and links."""
    if response.status_code != 200:
        return "-"
    if response["Content-Type"].startswith("application/json"):
        data = response.json()
        pages = -(-data["count"] // settings.REST_FRAMEWORK["PAGE_SIZE"])
        page = int(re.search(r"page=(\d+)", data["next"]).group(1)) - 1 if data["next"] else pages
        return f"{page}/{pages}"
    match = re.search(r"<span>(\d+) / (\d+)</span>", response.content.decode())
    return f"{match.group(1)}/{match.group(2)}" if match else "?"


def measure(client, url):
    for _ in range(WARMUP):
        client.get(url)
    times, counts = [], set()
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        counts.add(len(queries))
    return {"status": response.status_code, "served": served_page(response), "p50": statistics.median(times),
            "p95": p95(times), "queries": counts, "sql": [q["sql"] for q in queries.captured_queries]}


def explain(sql):
    """(execution ms, the plan's telling lines) of EXPLAIN ANALYZE, on PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT TEXT) {sql}")
        lines = [row[0] for row in cursor.fetchall()]
    ms = float(re.search(r"Execution Time: ([\d.]+) ms", lines[-1]).group(1))
    telling = [re.sub(r"\s*\(cost=[^)]*\)", "", line).strip().removeprefix("->  ") for line in lines
               if re.search(r"Scan|Sort Method|Incremental Sort", line)]
    return ms, telling[:4]


def print_table(results):
    print()
    print(f"{'tenders':>9}  {'request':<36}{'served':>10}{'status':>7}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
    for size, rows in results.items():
        for url, r in rows.items():
            queries = "/".join(str(n) for n in sorted(r["queries"]))
            print(f"{size:>9,}  {url:<36}{r['served']:>10}{r['status']:>7}{r['p50']:>9.1f}{r['p95']:>9.1f}{queries:>9}")


def main(argv=None):
    global SIZES, RUNS, WARMUP, REQUESTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the benchmark still run?")
    args = parser.parse_args(argv)
    page = PAGE
    if args.smoke:
        SIZES, RUNS, WARMUP, page = [300, 600], 3, 1, 10
    REQUESTS = [url.format(page=page) for url in REQUESTS]
    print(f"database: {connection.vendor}")
    if connection.vendor != "postgresql":
        print("note: the figures of the issue are for PostgreSQL; EXPLAIN is skipped")
    with throwaway_database("portal"):
        rng = random.Random(2026)
        org, user = owner()
        client = Client()
        results, written = {}, 0
        for size in SIZES:
            print(f"writing tenders up to {size:,}…", flush=True)
            insert_tenders(written, size - written, org, user, rng)
            written = size
            results[size] = {url: measure(client, url) for url in REQUESTS}
        print_table(results)

        counts = {url: {n for size in SIZES for n in results[size][url]["queries"]} for url in REQUESTS}
        steady = all(len(c) == 1 for c in counts.values())
        per_kind = {n for c in counts.values() for n in c}
        print()
        print(f"queries per request constant across pages and sizes: {'yes' if steady else 'NO'} "
              f"({', '.join(str(n) for n in sorted(per_kind))} per page)")

        if connection.vendor == "postgresql":
            print()
            print(f"slowest query of each request at {SIZES[-1]:,} tenders (EXPLAIN ANALYZE):")
            for url, r in results[SIZES[-1]].items():
                plans = [(explain(sql), sql) for sql in r["sql"] if "trading_tender" in sql]
                (ms, plan), sql = max(plans, key=lambda p: p[0][0])
                kind = "count" if "COUNT(*)" in sql else "rows"
                print(f"  {url:<36}{kind:>6}{ms:>8.1f} ms  {plan[0] if plan else ''}")
                for line in plan[1:]:
                    print(f"  {'':<36}{'':>17}  {line}")


if __name__ == "__main__":
    main()
