"""How fast is sealing? `tools/bidder.py seal` beside bare pycryptodome AES-256-GCM, in the same run.

    .venv/bin/python bench/bench_sealing.py [--mib 256] [--runs 3] [--smoke]

Writes MiB of random data to a temporary file, then, in this order:

- the reference: bare pycryptodome AES-256-GCM in memory, one thread, the same data in 1 MiB chunks
  (AES.new, the 41-byte associated data, encrypt_and_digest: no file, no hashing);
- `tools/bidder.py seal` of that file (a subprocess: start-up, key loading and writing the file
  count), and of a 100-byte file, which is the fixed cost of a run (Python, imports, keys, signature);
- envelope.seal() in process (default workers, then one worker), check_structure() and open_envelope().

Each figure is the best of --runs (the machine may be shared). MB/s are decimal megabytes (10^6 bytes)
of plaintext. The ratio is each rate over the reference's; the goal for `bidder.py seal` is >= 0.6.
`openssl speed -evp aes-256-gcm` is shown too, as the ceiling of the hardware.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from Crypto.Cipher import AES  # noqa: E402
from Crypto.PublicKey import RSA  # noqa: E402

from sealedbid import envelope, keys  # noqa: E402

CHUNK = envelope.DEFAULT_CHUNK_SIZE


def openssl_gcm_mb_per_s(seconds=3) -> float | None:
    if not shutil.which("openssl"):
        return None
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


def bare_gcm(data: memoryview):
    """The reference: what sealing cannot beat on one core, AES-256-GCM of each chunk in memory."""
    key, aad = os.urandom(32), os.urandom(41)
    for index in range(-(-len(data) // CHUNK)):
        cipher = AES.new(key, AES.MODE_GCM, nonce=bytes(4) + index.to_bytes(8, "big"), mac_len=16)
        cipher.update(aad)
        cipher.encrypt_and_digest(data[index * CHUNK : (index + 1) * CHUNK])


def best(function, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return min(seconds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="size of the bid in MiB (default 256)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; the best counts (default 3)")
    parser.add_argument("--dir", help="where to put the temporary files (default: the system's temp directory)")
    parser.add_argument("--smoke", action="store_true", help="1 MiB, one run: does the benchmark still run?")
    args = parser.parse_args(argv)
    if args.smoke:
        args.mib, args.runs = 1, 1
    size = args.mib * 1024 * 1024

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmp = Path(tmp)
        source = tmp / "bid.bin"
        with source.open("wb") as f:
            for _ in range(args.mib):
                f.write(os.urandom(1 << 20))
        (tmp / "tiny.bin").write_bytes(os.urandom(100))
        bidder = keys.generate_bidder_keys()
        opening = RSA.generate(3072)
        (tmp / "key.json").write_bytes(keys.dump_key_file(bidder))
        (tmp / "opening.pem").write_text(keys.public_pem(opening), encoding="ascii")
        (tmp / "letter.json").write_text('{"price_fen": 100}', encoding="utf-8")

        in_memory = memoryview(source.read_bytes())
        reference = best(lambda: bare_gcm(in_memory), args.runs)
        in_memory.release()

        def cli(name):
            def run():
                (tmp / "cli.sealed").unlink(missing_ok=True)
                command = [sys.executable, str(ROOT / "tools" / "bidder.py"), "seal", "--key", "key.json"]
                command += ["--opening-key", "opening.pem", "--tender", "BENCH", "--letter", "letter.json"]
                command += ["--out", "cli.sealed", name]
                subprocess.run(command, cwd=tmp, check=True, stdout=subprocess.DEVNULL)

            return run

        cli_seconds = best(cli("bid.bin"), args.runs)
        fixed_seconds = best(cli("tiny.bin"), args.runs)

        target = tmp / "lib.sealed"

        def seal(workers=None):
            with source.open("rb") as plain, target.open("wb") as out:
                envelope.seal(
                    out,
                    bid_letter={"price_fen": 100},
                    files=[envelope.PlainFile("bid.bin", plain, size)],
                    tender_id="BENCH",
                    opening_public_key=opening.public_key(),
                    bidder=bidder,
                    workers=workers,
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

        workers = envelope._worker_count(None)
        rows = [
            ("bare pycryptodome AES-256-GCM, memory", reference),
            ("bidder.py seal (CLI, end to end)", cli_seconds),
            ("bidder.py seal, its fixed cost taken off", cli_seconds - fixed_seconds),
            (f"envelope.seal(), {workers} workers", best(seal, args.runs)),
            ("envelope.seal(), 1 worker", best(lambda: seal(1), args.runs)),
            ("envelope.check_structure()", best(check, args.runs)),
            ("envelope.open_envelope(), read all", best(open_all, args.runs)),
        ]
    openssl = openssl_gcm_mb_per_s(1 if args.smoke else 3)
    where = args.dir or tempfile.gettempdir()
    print(
        f"{args.mib} MiB bid in {where}, 1 MiB chunks, {os.cpu_count()} CPUs, Python {sys.version.split()[0]},"
        f" best of {args.runs}"
    )
    print(f"bidder.py seal's fixed cost (a 100-byte bid): {fixed_seconds:.2f} s")
    print(f"{'operation':<42} {'MB/s':>8} {'ratio':>7}")
    reference_rate = size / reference / 1e6
    for name, seconds in rows:
        if seconds <= 0:  # --smoke: the fixed cost is all there is
            print(f"{name:<42} {'-':>8} {'-':>7}")
            continue
        rate = size / seconds / 1e6
        print(f"{name:<42} {rate:>8.0f} {rate / reference_rate:>7.2f}")
    if openssl:
        print(f"{'(openssl speed -evp aes-256-gcm, 1 MiB)':<42} {openssl:>8.0f} {openssl / reference_rate:>7.2f}")
    cli_rate = size / cli_seconds / 1e6
    print(f"bidder.py seal {cli_rate:.0f} MB/s / bare pycryptodome GCM {reference_rate:.0f} MB/s = {cli_rate / reference_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
