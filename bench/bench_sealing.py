"""How fast is sealing? The bidder CLI and the envelope functions beside OpenSSL's AES-256-GCM.

    .venv/bin/python bench/bench_sealing.py [--mib 256] [--smoke]

Writes MiB of random data to a temporary file, seals it with `tools/bidder.py seal` (a subprocess,
so start-up and key loading count), then times seal(), check_structure() and open_envelope() in
process, and compares each with `openssl speed -evp aes-256-gcm -bytes 1048576 -seconds 3`.
MB/s are decimal megabytes (10^6 bytes), as OpenSSL reports.
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from Crypto.PublicKey import RSA  # noqa: E402

from sealedbid import envelope, keys  # noqa: E402


def openssl_gcm_mb_per_s(seconds=3) -> float:
    result = subprocess.run(
        ["openssl", "speed", "-evp", "aes-256-gcm", "-bytes", "1048576", "-seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    # The last table line: "AES-256-GCM    4323008.81k", in thousands of bytes per second.
    match = re.search(r"^aes-256-gcm\s+([\d.]+)k\s*$", result.stdout, re.IGNORECASE | re.MULTILINE)
    if not match:
        raise RuntimeError(f"cannot read openssl's output:\n{result.stdout}")
    return float(match.group(1)) * 1000 / 1e6


class _Sink:
    def write(self, data):
        pass


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="size of the bid in MiB (default 256)")
    parser.add_argument("--dir", help="where to put the temporary files (default: the system's temp directory)")
    parser.add_argument("--smoke", action="store_true", help="1 MiB: does the benchmark still run?")
    args = parser.parse_args(argv)
    if args.smoke:
        args.mib = 1
    size = args.mib * 1024 * 1024

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmp = Path(tmp)
        source = tmp / "bid.bin"
        with source.open("wb") as f:
            for _ in range(args.mib):
                f.write(os.urandom(1 << 20))
        bidder = keys.generate_bidder_keys()
        opening = RSA.generate(3072)
        (tmp / "key.json").write_bytes(keys.dump_key_file(bidder))
        (tmp / "opening.pem").write_text(keys.public_pem(opening), encoding="ascii")
        (tmp / "letter.json").write_text('{"price_fen": 100}', encoding="utf-8")

        cli = [
            sys.executable,
            str(ROOT / "tools" / "bidder.py"),
            "seal",
            "--key",
            "key.json",
            "--opening-key",
            "opening.pem",
            "--tender",
            "BENCH",
            "--letter",
            "letter.json",
            "--out",
            "cli.sealed",
            "bid.bin",
        ]
        cli_seconds = timed(lambda: subprocess.run(cli, cwd=tmp, check=True, stdout=subprocess.DEVNULL))

        target = tmp / "lib.sealed"

        def seal():
            with source.open("rb") as plain, target.open("wb") as out:
                envelope.seal(
                    out,
                    bid_letter={"price_fen": 100},
                    files=[envelope.PlainFile("bid.bin", plain, size)],
                    tender_id="BENCH",
                    opening_public_key=opening.public_key(),
                    bidder=bidder,
                )

        def seal_to_nowhere():  # the CPU cost alone: no disk write
            with source.open("rb") as plain:
                envelope.seal(
                    _Sink(),
                    bid_letter={"price_fen": 100},
                    files=[envelope.PlainFile("bid.bin", plain, size)],
                    tender_id="BENCH",
                    opening_public_key=opening.public_key(),
                    bidder=bidder,
                )

        def check():
            with target.open("rb") as f:
                envelope.check_structure(f, bidder.signing)

        def open_all():
            digest = hashlib.sha256()
            with target.open("rb") as f:
                for _, stream in envelope.open_envelope(f, opening).files():
                    while piece := stream.read(1 << 20):
                        digest.update(piece)

        rows = [
            ("bidder.py seal (CLI, end to end)", cli_seconds),
            ("envelope.seal()", timed(seal)),
            ("envelope.seal(), output discarded", timed(seal_to_nowhere)),
            ("envelope.check_structure()", timed(check)),
            ("envelope.open_envelope(), read all", timed(open_all)),
        ]
    reference = openssl_gcm_mb_per_s(1 if args.smoke else 3)
    where = args.dir or tempfile.gettempdir()
    print(f"{args.mib} MiB bid in {where}, 1 MiB chunks, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'operation':<38} {'MB/s':>8} {'÷ openssl':>10}")
    print(f"{'openssl speed -evp aes-256-gcm (1 MiB)':<38} {reference:>8.0f} {1:>10.2f}")
    for name, seconds in rows:
        rate = size / seconds / 1e6
        print(f"{name:<38} {rate:>8.0f} {rate / reference:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
