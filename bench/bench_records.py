"""Signed records at full size: an evaluation report of 30 bidders × 9 experts × 20 criteria.

    DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python bench/bench_records.py [--smoke]

Prints the time to render it (reportlab), to add the 9 expert signatures and the platform seal
(pyHanko, one incremental update each), to verify it, and the ratio of render + sign to rendering
alone. Keys are RSA-3072 as in production, from a throwaway CA (no database, no PKI_DIR).
--smoke: 3 bidders × 2 experts × 3 criteria, one run (does it still run?).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

RUNS = 3
BIDDERS, EXPERTS, CRITERIA = 30, 9, 20


def main(argv=None):
    global RUNS, BIDDERS, EXPERTS, CRITERIA
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the benchmark still run?")
    if parser.parse_args(argv).smoke:
        RUNS, BIDDERS, EXPERTS, CRITERIA = 1, 3, 2, 3
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from records import fonts, pki, signing
    from records.render import LedgerAnchor, render
    from records.render.samples import sample_evaluation_report
    from records.verify import verify_pdf

    data = sample_evaluation_report(bidders=BIDDERS, experts=EXPERTS, criteria=CRITERIA)
    anchor = LedgerAnchor(123456, "ab" * 32)
    ca = pki.generate_ca("基准测试CA")
    experts = [pki.issue_certificate(ca, e.name) for e in data.experts]
    seal = pki.issue_certificate(ca, pki.SEAL_NAME)
    render("evaluation_report", data, anchor=anchor)  # warm up: font registration, imports

    rows = []
    for _ in range(RUNS):
        fonts._subset.cache_clear()  # every real document has its own signer names
        t0 = time.perf_counter()
        rendered = render("evaluation_report", data, anchor=anchor)
        t1 = time.perf_counter()
        signed = signing.sign_record(rendered.pdf, signing.plan(rendered, experts, seal))
        t2 = time.perf_counter()
        report = verify_pdf(signed, extra_roots=[ca.certificate])
        t3 = time.perf_counter()
        assert report.ok and len(report.signatures) == EXPERTS + 1
        rows.append((t1 - t0, t2 - t1, t3 - t2, rendered.pages, len(rendered.pdf), len(signed)))

    render_s = statistics.median(r[0] for r in rows)
    sign_s = statistics.median(r[1] for r in rows)
    verify_s = statistics.median(r[2] for r in rows)
    pages, plain_size, signed_size = rows[0][3:]
    print(f"evaluation report: {BIDDERS} bidders × {EXPERTS} experts × {CRITERIA} criteria, "
          f"{pages} pages; median of {RUNS} runs, RSA-3072")
    print(f"{'step':<44}{'seconds':>10}{'× render':>10}")
    print(f"{'render (reportlab)':<44}{render_s:>10.3f}{1:>10.2f}")
    print(f"{f'sign: {EXPERTS} experts + platform seal (pyHanko)':<44}{sign_s:>10.3f}{sign_s / render_s:>10.2f}")
    print(f"{'  per signature':<44}{sign_s / (EXPERTS + 1):>10.3f}{sign_s / (EXPERTS + 1) / render_s:>10.2f}")
    print(f"{'render + sign (the whole)':<44}{render_s + sign_s:>10.3f}{(render_s + sign_s) / render_s:>10.2f}")
    print(f"{f'verify all {EXPERTS + 1} signatures':<44}{verify_s:>10.3f}{verify_s / render_s:>10.2f}")
    print(f"size: {plain_size / 1024:.0f} KiB unsigned, {signed_size / 1024:.0f} KiB signed")


if __name__ == "__main__":
    main()
