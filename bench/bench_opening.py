"""Opening figures (docs/architecture.md §5): 100 sealed bids of 20 MiB each opened by `open_bids`, as the task worker
runs it once k custodians have released their shares:

- wall time and MB/s of `trading.actions.opening.open_bids(tender_id)`: one pass per bid (sealedbid.stream_open:
  each chunk read once, authenticated, decrypted, hashed and written), bids side by side in one worker process
  per CPU (trading/opening_parallel.py; `--processes` to choose), recorded in order by this process;
- beside a bare pycryptodome AES-256-GCM decryption (decrypt_and_verify over 1 MiB chunks, from memory)
  of the same number of bytes in one process, and the ratio of the two times;
- beside `openssl speed -evp aes-256-gcm -bytes 1048576 -seconds 3`.

    .venv/bin/python bench/bench_opening.py [--bids 100] [--mib 20] [--smoke]

Setup (not timed): a throwaway database of its own (benchdb.py), a temporary MEDIA_ROOT and PKI; a tender published with 3 custodians (2 open it); each
bidder seals random bytes with `envelope.seal` and submits them through the real actions
(create_upload, receive_part in 8 MiB parts, finalize_upload). Everything is built with the clock set
a month back, so the deadline has passed when the clock comes back to now. The envelopes are synced
to disk before the clock starts (bids arrive over weeks), so the opening reads them from the page cache
without competing with their write-back, and writes the decrypted files without fsync: the figure is
mostly the platform's processing, not the disk's. MB/s are decimal megabytes (10^6 bytes) of
envelope, as OpenSSL reports.
"""

import argparse
import base64
import datetime
import io
import multiprocessing
import os
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
from Crypto.Cipher import AES  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from sealedbid import envelope  # noqa: E402
from sealedbid.keys import BidderKeys  # noqa: E402

MIB = 1 << 20
PART_SIZE = 8 * MIB  # what the bidder CLI sends per request
THRESHOLD = 2  # of 3 custodians
BID_LETTER = {"price": 9_800_000_00, "duration_days": 365, "quality": "合格", "validity_days": 90}


# --- reference figures -------------------------------------------------------------------------------------
# openssl_gcm_mb_per_s: the hardware reference, shared with bench_sealing.py (same folder, on sys.path).
from bench_sealing import openssl_gcm_mb_per_s  # noqa: E402


def bare_decrypt_seconds(total_bytes: int) -> float:
    """decrypt_and_verify over `total_bytes` of 1 MiB chunks (16 distinct ones, reused), from memory."""
    key = os.urandom(32)
    chunks = []
    for i in range(16):
        nonce = i.to_bytes(12, "big")
        ciphertext, tag = AES.new(key, AES.MODE_GCM, nonce=nonce).encrypt_and_digest(os.urandom(MIB))
        chunks.append((nonce, ciphertext, tag))
    count = -(-total_bytes // MIB)
    start = time.perf_counter()
    for i in range(count):
        nonce, ciphertext, tag = chunks[i % len(chunks)]
        AES.new(key, AES.MODE_GCM, nonce=nonce).decrypt_and_verify(ciphertext, tag)
    return (time.perf_counter() - start) * total_bytes / (count * MIB)


# --- setup (not timed) ---------------------------------------------------------------------------------------


def _rsa_der(_):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def rsa_keys(n):
    """n distinct RSA-3072 keys (registered fingerprints are unique), made by OpenSSL on every core.
    Called before any database connection exists, so none crosses the fork."""
    from Crypto.PublicKey import RSA

    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
        return [RSA.import_key(der) for der in pool.map(_rsa_der, range(n), chunksize=4)]


def published_tender(custodian_keys):
    """A tender of Tongjiang county published with 3 custodians, THRESHOLD of them needed to open it."""
    from accounts.actions import register_public_key
    from tests.factories import make_tender, make_user
    from trading import actions

    owner, host = make_user("tenderer", "511921"), make_user("staff", "511921")
    tender = make_tender(owner, "511921")
    custodians = []
    for key in custodian_keys:
        user = make_user("custodian", "511900", org=None)
        register_public_key(actor=user, purpose="custodian", pem=key.public_key().export_key().decode())
        user.private_key = key
        custodians.append(user)
    actions.set_custodians(actor=host, tender_id=tender.pk, user_ids=[c.pk for c in custodians], threshold=THRESHOLD)
    actions.submit_tender(actor=owner, tender_id=tender.pk)
    actions.approve_tender(actor=host, tender_id=tender.pk)
    tender.refresh_from_db()
    return tender, custodians


def bidder(encryption_key):
    from Crypto.PublicKey import ECC

    from accounts.actions import register_public_key
    from tests.factories import make_user

    user = make_user("bidder")
    signing = ECC.generate(curve="P-256")
    register_public_key(actor=user, purpose="bid_signing", pem=signing.public_key().export_key(format="PEM"))
    register_public_key(actor=user, purpose="bid_encryption", pem=encryption_key.public_key().export_key().decode())
    user.keys = BidderKeys(signing=signing, encryption=encryption_key)
    return user


def submit(tender, user, size):
    """Seal `size` random bytes and submit them through the upload actions, as the API views call them."""
    from trading.actions.bids import create_upload, finalize_upload, receive_part

    sealed = io.BytesIO()
    info = envelope.seal(
        sealed,
        bid_letter={**BID_LETTER, "price": BID_LETTER["price"] + user.pk},
        files=[envelope.PlainFile("投标文件.bin", io.BytesIO(os.urandom(size)), size)],
        tender_id=tender.code,
        opening_public_key=tender.opening_key.public_key_pem,
        bidder=user.keys,
    )
    upload = create_upload(actor=user, tender_id=tender.pk, size=info.size)
    for offset in range(0, info.size, PART_SIZE):
        length = min(PART_SIZE, info.size - offset)
        receive_part(  # one part's bytes, as a request body holds them
            actor=user, upload_id=upload.pk, offset=offset,
            stream=io.BytesIO(sealed.getbuffer()[offset:offset + length]), length=length,
        )
    return finalize_upload(actor=user, upload_id=upload.pk, sha256=info.sha256)


def release_shares(tender, custodians):
    from sealedbid import ceremony
    from trading.actions.opening import release_share
    from trading.models import TenderCustodian

    for custodian in custodians[:THRESHOLD]:
        row = TenderCustodian.objects.get(tender=tender, user=custodian)
        share = ceremony.decrypt_share(base64.b64decode(row.encrypted_share), custodian.private_key)
        release_share(actor=custodian, tender_id=tender.pk, share_b64=base64.b64encode(share).decode())


def build(n_bids, size, keys):
    """The tender and its bids, built a month ago (the opening needs the deadline behind us; the clock,
    not an edited row, puts it there)."""
    from accounts.models import Region
    from accounts.regions import ensure_regions
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    ensure_regions(Region)
    seed_from_package(CalendarDay, CalendarYear)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30, minutes=10), tick=True):
        tender, custodians = published_tender(keys[:3])
        print(f"creating {n_bids} bidders…", flush=True)
        users = [bidder(key) for key in keys[3:]]
        print(f"sealing and submitting {n_bids} bids of {size // MIB} MiB…", flush=True)
        start = time.perf_counter()
        for i, user in enumerate(users, 1):
            submit(tender, user, size)
            if i % 10 == 0:
                print(f"  {i} bids submitted ({time.perf_counter() - start:.0f} s)", flush=True)
    tender.refresh_from_db()
    assert timezone.now() > tender.bid_deadline
    release_shares(tender, custodians)
    return tender


# --- the figure ----------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=100)
    parser.add_argument("--mib", type=int, default=20, help="plaintext of each bid in MiB (default 20)")
    parser.add_argument("--processes", type=int, default=None, help="opening workers (default: one per CPU)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (3 bids of 1 MiB): does it still run?")
    args = parser.parse_args(argv)
    if args.smoke:
        args.bids, args.mib = 3, 1

    from records import pki

    size = args.mib * MIB
    tmp = Path(tempfile.mkdtemp(prefix="bench-opening-"))
    # The envelopes, then their decrypted files: twice the bids, plus room to spare.
    needed = 2 * args.bids * size + 512 * MIB
    free = shutil.disk_usage(tmp).free
    if free < needed:
        shutil.rmtree(tmp)
        print(f"not enough disk in {tmp.parent}: {needed / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free")
        return 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users only
    settings.MEDIA_ROOT = tmp / "media"
    settings.PKI_DIR = tmp / "pki"
    print(f"database: {connection.vendor}; channel layer: {settings.CHANNEL_LAYERS['default']['BACKEND']}")
    print(f"files in {tmp} ({free / 1e9:.0f} GB free)", flush=True)
    started = time.perf_counter()
    print(f"generating {3 + args.bids} RSA-3072 keys (custodians, bidders)…", flush=True)
    keys = rsa_keys(3 + args.bids)
    pki.create_authority(settings.PKI_DIR)
    try:
        with throwaway_database("opening", tmp):
            figures(args, size, keys, started)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"total run {time.perf_counter() - started:.0f} s")
    return 0


def figures(args, size, keys, started):
    """Build the tender and its bids, open them, print the table."""
    tender = build(args.bids, size, keys)
    from trading.actions.opening import open_bids
    from trading.models import Bid, OpenedBid, Opening

    total = sum(Bid.objects.filter(tender=tender, status="submitted").values_list("size", flat=True))
    # Bids arrive over weeks: by the opening their envelopes are on disk, not dirty pages still being
    # written back while the decrypted files are written.
    os.sync()
    print(f"setup took {time.perf_counter() - started:.0f} s; opening {args.bids} bids, {total / 1e9:.2f} GB…")
    start, cpu = time.perf_counter(), time.process_time()
    opened = open_bids(tender.pk, processes=args.processes)
    opening_s, opening_cpu = time.perf_counter() - start, time.process_time() - cpu
    outcomes = list(OpenedBid.objects.filter(bid__tender=tender).values_list("outcome", flat=True))
    assert opened == args.bids and outcomes == ["opened"] * args.bids, (opened, set(outcomes))
    assert Opening.objects.get(tender=tender).status == Opening.Status.READING

    print("bare AES-256-GCM decryption of as many bytes…", flush=True)
    bare_s = bare_decrypt_seconds(total)
    seconds = 1 if args.smoke else 3
    print(f"openssl speed -evp aes-256-gcm ({seconds} s)…", flush=True)
    openssl = openssl_gcm_mb_per_s(seconds)

    rows = [
        ("opening worker processes", f"{args.processes or os.cpu_count()}"),
        ("opening wall time", f"{opening_s:.2f} s"),
        ("opening MB/s", f"{total / opening_s / 1e6:,.0f}"),
        ("opening CPU time of this process (user+sys)", f"{opening_cpu:.1f} s"),
        ("bare decrypt time (one process)", f"{bare_s:.2f} s"),
        ("bare pycryptodome decrypt MB/s", f"{total / bare_s / 1e6:,.0f}"),
        ("ratio (opening time ÷ bare decrypt time)", f"{opening_s / bare_s:.2f}"),
        ("openssl speed aes-256-gcm MB/s", f"{openssl:,.0f}"),
    ]
    print()
    print(f"{args.bids} bids × {args.mib} MiB = {total / 1e9:.2f} GB of envelopes")
    for label, value in rows:
        print(f"{label:<44}{value:>12}")


if __name__ == "__main__":
    sys.exit(main())
