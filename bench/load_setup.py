"""The rows bench_load.py runs against (not timed), in its throwaway database:

- the portal's content: `tenders` tenders written in bulk as bench_portal.py writes them (published over
  the last three years, so that most are closed and the latest few still take bids);
- the tender of the last minute: published by the real actions (custodians, opening key ceremony), its
  deadline moved by the benchmark when the load starts;
- its bidders: one organization and user each, a registered ECDSA signing key and RSA-3072 encryption
  key (distinct: fingerprints are unique), an API token (bench_bids.py's `bidder`), and one small
  envelope each, sealed once by the real sealedbid library for this tender and its opening key;
- the live evaluation sessions at the scoring stage, 7 experts and 5 staff observers each, with a login
  cookie per user (evaluation_socket_setup.py).
"""

import hashlib
import io
import os
import random
import time

from django.db import connections

ENVELOPE_FILE = 8 * 1024  # bytes of the one file in each envelope: "small envelopes"
EXPERTS, OBSERVERS = 7, 5


def portal(count):
    """`count` tenders in bulk; returns the ids of a sample of them, for the visitors' detail pages."""
    import bench_portal

    bench_portal.SIZES = [count]  # spread their publication over three years ending now
    org, user = bench_portal.owner()
    bench_portal.insert_tenders(0, count, org, user, random.Random(2026))
    from trading.models import Tender

    return list(Tender.objects.order_by("-published_at").values_list("pk", flat=True)[:200])


def the_tender():
    from tests.trading.bidding import published_tender

    return published_tender(title="巴中市压测标段(最后一分钟)")


def bidders(tender, n):
    """n bidders (user, token, envelope bytes, sha256, device id); their RSA keys are made on every core
    while the users are written."""
    from bench_bids import RandomBytes, add_encryption_key, bidder, rsa_keys

    from sealedbid import envelope

    def make_users():
        users = []
        for i in range(1, n + 1):
            users.append(bidder())
            if i % 50 == 0 or i == n:
                print(f"    {i}/{n} bidder organizations, users, signing keys, tokens", flush=True)
        return users

    keys, users = rsa_keys(n, make_users)
    connections.close_all()
    started = time.perf_counter()
    opening_pem = tender.opening_key.public_key_pem
    out = []
    for user, key in zip(users, keys, strict=True):
        add_encryption_key(user, key)
        buffer = io.BytesIO()
        info = envelope.seal(buffer, bid_letter={"price_fen": 9_000_000_00 + user.pk, "duration_days": 365},
                             tender_id=tender.code, opening_public_key=opening_pem, bidder=user.keys,
                             files=[envelope.PlainFile("投标文件.bin", RandomBytes(ENVELOPE_FILE), ENVELOPE_FILE)])
        device = hashlib.sha256(f"bench-load:{os.getpid()}:{user.pk}".encode()).hexdigest()
        out.append({"user": user.pk, "organization": user.organization_id, "token": user.token,
                    "envelope": buffer.getvalue(), "sha256": info.sha256, "device": device})
    print(f"    {n} envelopes of {len(out[0]['envelope']):,} bytes sealed "
          f"({(time.perf_counter() - started) / n * 1000:.0f} ms each with key registration)", flush=True)
    return out


def sessions(n):
    from evaluation_socket_setup import build_sessions

    return build_sessions(n, EXPERTS, OBSERVERS, 0) if n else []
