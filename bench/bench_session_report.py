"""The signed evaluation report of a finished session at full size: 30 bidders × 9 experts × 20 criteria.

    .venv/bin/python bench/bench_session_report.py [--smoke] [--pdf report.pdf]

Setup (not timed): a throwaway database of its own (benchdb.py), a temporary MEDIA_ROOT and PKI; a
session at the end of its `signing` stage, written in bulk as the session's actions leave it (tender,
30 opened bids, a draw of 9 accepted seats in two venues, 9 members who all signed, every qualification
vote with one bid failing, every score, the price scores, the ranking with the extremes dropped), and
each expert's signing certificate issued (RSA-3072, as in production; a first signature pays that once).

Timed: building the report's data from the database (evaluation.report_data), rendering it alone, the
render + 9 expert signatures + the platform seal (the median of 3 runs), and, once, the whole
`produce_session_report` (data, render, signatures, seal, storing the record, closing the session).
--smoke: 3 bidders × 2 experts × 3 criteria, one run (does it still run?).
"""

import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

import django  # noqa: E402

django.setup()

from benchdb import throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

COUNTY, SUB_COUNTY = "511921", "511923"
PASSWORD = "bench-password-123"  # noqa: S105 (bench users in a throwaway database)
KINDS = {"价格": "price", "技术": "technical", "商务": "commercial"}


def _user(username, role, region, full_name, organization=None):
    from accounts import actions

    user = actions.create_user(actor=None, username=username, password=PASSWORD, full_name=full_name,
                               organization=organization)
    actions.grant_role(actor=None, user=user, role=role, region_code=region)
    return user


def _tender(sample, host):
    from accounts.models import Organization, Region, organization_name_key
    from trading.models import Project, Tender

    county = Region.objects.get(code=COUNTY)
    owner = Organization.objects.create(name=sample.tenderer, kind="tenderer", credit_code="91511921MA62Q7K30X",
                                        region=county)
    now = timezone.now()
    project = Project.objects.create(code=f"BENCH-{os.getpid()}", name=sample.project_name, region=county,
                                     category="works", owner=owner, created_by=host)
    criteria = [{"name": c.name, "weight": int(c.max_points), "kind": KINDS[c.group]} for c in sample.criteria]
    tender = Tender.objects.create(
        project=project, code=sample.tender_code, title=sample.tender_name, region=county, category="works",
        status=Tender.Status.EVALUATING, estimated_price_fen=3_500_000_000, documents_from=now - datetime.timedelta(40),
        documents_until=now - datetime.timedelta(30), bid_deadline=now - datetime.timedelta(1), venue="开标室",
        evaluation_method="comprehensive", criteria=criteria, evaluation_terms={"trim_extremes": True},
        created_by=host)
    bidders = Organization.objects.bulk_create([
        Organization(name=b.name, name_key=organization_name_key(b.name), kind="bidder", credit_code=b.credit_code,
                     region=county) for b in sample.bidders])
    return tender, bidders


def _bids(sample, tender, bidders, host):
    from trading.models import Bid, BidUpload, OpenedBid

    deadline = tender.bid_deadline
    uploads = BidUpload.objects.bulk_create([
        BidUpload(id=uuid.uuid4(), tender=tender, organization=org, user=host, declared_size=1, received=1,
                  status="finalized", storage_name=f"bench/{i}") for i, org in enumerate(bidders)])
    bids = Bid.objects.bulk_create([
        Bid(tender=tender, organization=org, submitted_by=host, upload=upload, envelope=f"bench/{i}", size=1,
            sha256="0" * 64, header={}, submitted_at=deadline - datetime.timedelta(hours=len(bidders) - i),
            receipt_no=f"BENCH-{os.getpid()}-{i:03d}", receipt="{}", receipt_signature="")
        for i, (org, upload) in enumerate(zip(bidders, uploads, strict=True))])
    return OpenedBid.objects.bulk_create([
        OpenedBid(bid=bid, outcome="opened", opened_at=deadline, bid_letter={
            "price": b.price_fen, "duration_days": b.duration_days, "quality": b.quality})
        for bid, b in zip(bids, sample.bidders, strict=True)])


def _committee(sample, tender, host):
    """A complete draw of len(sample.experts) accepted seats over two venues, and the experts' accounts."""
    from accounts.models import Region
    from evaluation.models import Draw, DrawRequirement, Expert, Seat, Specialty, Venue
    from evaluation.specialties import ensure_specialties

    ensure_specialties(Specialty)
    now = timezone.now()
    venues = [Venue.objects.create(name="巴中市公共资源交易中心 第3评标室", region=tender.region, seats=12),
              Venue.objects.create(name="平昌县公共资源交易分中心 第1评标室", region=Region.objects.get(code=SUB_COUNTY),
                                   seats=8)]
    draw = Draw.objects.create(tender=tender, status=Draw.Status.COMPLETE, committee_size=len(sample.experts),
                               remote=True, requested_by=host, requested_at=now)
    specialty = Specialty.objects.get(code="ENG-ROD")
    half = (len(sample.experts) + 1) // 2
    requirements = [DrawRequirement.objects.create(draw=draw, specialty=specialty, venue=venues[0], is_main_venue=True,
                                                   count=half),
                    DrawRequirement.objects.create(draw=draw, specialty=specialty, venue=venues[1],
                                                   count=len(sample.experts) - half)]
    users = [_user(f"bench-expert-{i}", "expert", "511900", e.name) for i, e in enumerate(sample.experts)]
    experts = Expert.objects.bulk_create([
        Expert(name=e.name, id_number=f"5119{os.getpid() % 10**6:06d}{i:08d}", phone=f"139{i:08d}",
               region=tender.region, title="高级工程师", user=user)
        for i, (e, user) in enumerate(zip(sample.experts, users, strict=True))])
    seats = Seat.objects.bulk_create([
        Seat(draw=draw, requirement=requirements[0 if i < half else 1], expert=expert, counter=i,
             status=Seat.Status.ACCEPTED, notified_at=now, responded_at=now, checked_in_at=now)
        for i, expert in enumerate(experts)])
    return draw, venues, requirements, seats, users


def finished_session(sample):
    """The session as the actions leave it once every member signed; returns (session, users)."""
    from evaluation import scoring
    from evaluation.models import BidResult, EvaluationSession, Member, QualificationVote, Score
    from evaluation.terms import effective_terms

    host = _user("bench-host", "staff", COUNTY, "王主持")
    tender, bidders = _tender(sample, host)
    opened = _bids(sample, tender, bidders, host)
    draw, venues, requirements, seats, users = _committee(sample, tender, host)
    terms = {**effective_terms(tender), "qualification_criteria": list(sample.qualification_criteria)}
    now = timezone.now()
    by_code = {b.code: o for b, o in zip(sample.bidders, opened, strict=True)}
    session = EvaluationSession.objects.create(
        tender=tender, draw=draw, main_venue=venues[0], stage="signing", terms=terms, opened_by=host,
        opened_at=now - datetime.timedelta(hours=6), unmasked=True,
        codes={str(by_code[b.code].pk): b.code for b in sample.bidders})
    members = Member.objects.bulk_create([
        Member(session=session, seat=seat, expert=seat.expert, user=user, venue=seat.requirement.venue,
               checked_in_at=now, committed_at=now, qualification_submitted_at=now, sheet_submitted_at=now,
               agreed_at=now, signed_at=now, dissent="")
        for seat, user in zip(seats, users, strict=True)])
    session.leader = members[0]
    session.save(update_fields=["leader"])
    if sample.dissents:
        Member.objects.filter(pk=members[1].pk).update(dissent=sample.dissents[0].opinion)
    # Qualification: every member votes as the sample's majority says.
    index = {name: i for i, name in enumerate(sample.qualification_criteria)}
    failed = {}
    votes = []
    for q in sample.qualification:
        for m in members:
            votes.append(QualificationVote(member=m, bid=by_code[q.bidder], criterion=index[q.criterion],
                                           passed=q.passed, reason=q.reason))
        if not q.passed:
            failed.setdefault(q.bidder, []).append({"criterion": index[q.criterion], "reasons": [q.reason] * len(members)})
    QualificationVote.objects.bulk_create(votes, batch_size=5000)
    rule = scoring.check_price_rule(terms["price_rule"], terms["criteria"][0]["weight"])
    qualified = [b for b in sample.bidders if b.code not in failed]
    prices = scoring.price_scores(rule, {b.code: b.price_fen for b in qualified})
    BidResult.objects.bulk_create([
        BidResult(session=session, bid=by_code[b.code], qualified=b.code not in failed,
                  fail_reasons=failed.get(b.code, []), price_fen=b.price_fen, price_score=prices.get(b.code))
        for b in sample.bidders])
    # Scores: the sample's sheets, every criterion but the price (computed).
    scores, totals = [], {b.code: {} for b in qualified}
    for m, e in zip(members, sample.experts, strict=True):
        for b in qualified:
            sheet = sample.scores[e.name][b.code]
            for i, c in enumerate(sample.criteria):
                if i:
                    scores.append(Score(member=m, bid=by_code[b.code], criterion=i, points=sheet[c.code]))
            totals[b.code][m.pk] = prices[b.code] + sum((sheet[c.code] for c in sample.criteria[1:]), Decimal(0))
    Score.objects.bulk_create(scores, batch_size=5000)
    order = {b.code: i for i, b in enumerate(sample.bidders)}
    ranked = scoring.rank_comprehensive([
        scoring.ScoredBid(b.code, b.price_fen, order[b.code], totals[b.code]) for b in qualified],
        trim_extremes=terms["trim_extremes"])
    session.ranking = {"method": "comprehensive", "trimmed": ranked.trimmed, "order": [
        {"rank": r.rank, "bid": by_code[r.key].pk, "price_fen": r.price_fen, "score": str(r.score),
         "evaluated_price_fen": None} for r in ranked.order],
        "candidates": [by_code[r.key].pk for r in ranked.candidates]}
    session.save(update_fields=["ranking"])
    return session, users, len(votes), len(scores)


def timed(fn, *args, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
    return result, seconds, len(captured)


def figures(args, started):
    from evaluation.actions.report import produce_session_report
    from evaluation.report_data import report_data
    from ledger import chain
    from records import fonts, pki, signing
    from records.render import LedgerAnchor, render
    from records.render.samples import sample_evaluation_report
    from records.verify import verify_pdf

    sample = sample_evaluation_report(bidders=args.bidders, experts=args.experts, criteria=args.criteria)
    print(f"writing a finished session in bulk ({args.bidders} bids × {args.experts} members × "
          f"{args.criteria} criteria)…", flush=True)
    (session, users, votes, scores), setup_s, _ = timed(finished_session, sample)
    _, certs_s, _ = timed(lambda: [pki.signer_for(u) for u in users])
    print(f"setup took {time.perf_counter() - started:.0f} s ({votes:,} qualification votes, {scores:,} scores in "
          f"{setup_s:.1f} s; {len(users)} signer certificates issued in {certs_s:.1f} s)", flush=True)

    data, data_s, data_q = timed(report_data, session.pk)
    identities, keys_s, _ = timed(lambda: [pki.signer_for(u) for u in users])
    seal = pki.platform_seal()
    anchor = LedgerAnchor(*chain.head())
    render("evaluation_report", data, anchor=anchor)  # warm up: font registration, imports
    rows = []
    for _ in range(args.runs):
        fonts._subset.cache_clear()  # every real document has its own signer names
        t0 = time.perf_counter()
        rendered = render("evaluation_report", data, anchor=anchor)
        t1 = time.perf_counter()
        signed = signing.sign_record(rendered.pdf, signing.plan(rendered, identities, seal))
        t2 = time.perf_counter()
        rows.append((t1 - t0, t2 - t0, rendered.pages, len(signed)))
    render_s = statistics.median(r[0] for r in rows)
    whole_s = statistics.median(r[1] for r in rows)
    fonts._subset.cache_clear()
    record, produce_s, produce_q = timed(produce_session_report, session.pk)
    session.refresh_from_db()
    assert session.stage == "closed" and session.report_id == record.pk
    with record.file.open("rb") as fh:
        pdf = fh.read()
    report = verify_pdf(pdf)
    if args.pdf:
        Path(args.pdf).write_bytes(pdf)
    assert report.ok and len(report.signatures) == args.experts + 1, report

    n = args.experts
    print()
    print(f"evaluation report from a finished session: {args.bidders} bidders × {n} experts × {args.criteria} "
          f"criteria (1 failed qualification; extremes dropped: {session.ranking['trimmed']}), {rows[0][2]} pages, "
          f"{rows[0][3] / 1024:.0f} KiB signed; median of {args.runs} runs, RSA-3072; database: {connection.vendor}")
    print(f"{'step':<62}{'seconds':>9}{'× render':>10}{'SQL':>6}")
    for label, seconds, statements in [
        ("build the data from the database (report_data)", data_s, data_q),
        (f"load {n} certificates, decrypt their keys (PKI_PASSPHRASE)", keys_s, ""),
        ("render (reportlab)", render_s, ""),
        (f"sign: {n} experts + platform seal (pyHanko)", whole_s - render_s, ""),
        (f"render + {n} signatures + seal", whole_s, ""),
        ("produce_session_report (data, render, sign, store, close)", produce_s, produce_q),
    ]:
        print(f"{label:<62}{seconds:>9.3f}{seconds / render_s:>10.2f}{statements:>6}")
    print(f"verified: {len(report.signatures)} signatures intact, chained to the platform CA")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="3 bidders × 2 experts × 3 criteria, one run")
    parser.add_argument("--pdf", help="also write the signed report to this file")
    args = parser.parse_args(argv)
    args.bidders, args.experts, args.criteria, args.runs = (3, 2, 3, 1) if args.smoke else (30, 9, 20, 3)

    from records import pki

    tmp = Path(tempfile.mkdtemp(prefix="bench-session-report-"))
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users only
    settings.MEDIA_ROOT = tmp / "media"
    settings.PKI_DIR = tmp / "pki"
    started = time.perf_counter()
    pki.create_authority(settings.PKI_DIR)
    try:
        with throwaway_database("session_report", tmp):
            figures(args, started)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"total run {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
