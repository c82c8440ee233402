"""The bidder's command line: keygen, seal, check, submit, status, verify-receipt, withdraw.
Usage and examples: tools/bidder.py."""

import argparse
import importlib
from pathlib import Path

from sealedbid import envelope

from .api import add_platform_options
from .common import main as run_main
from .keys import add_keygen_command, add_passphrase_options, cmd_keygen


def _command(module, name):
    """The command's function, imported when that command runs: sealing loads no HTTP client or receipt
    checker (start-up is most of a small bid's sealing time)."""
    def handler(args):
        return getattr(importlib.import_module(f"{__package__}.{module}"), name)(args)

    return handler


cmd_seal, cmd_check = _command("sealing", "cmd_seal"), _command("sealing", "cmd_check")
cmd_submit, cmd_status = _command("upload", "cmd_submit"), _command("upload", "cmd_status")
cmd_withdraw, cmd_verify_receipt = _command("upload", "cmd_withdraw"), _command("receipts", "cmd_verify_receipt")


def build_parser():
    parser = argparse.ArgumentParser(prog="bidder.py", description="Seal bids (sealed-bid/1) on your own machine.")
    commands = parser.add_subparsers(dest="command", required=True)

    add_keygen_command(commands, cmd_keygen, "make a signing key and an encryption key")

    seal = commands.add_parser("seal", help="seal a bid letter and files for one tender")
    seal.add_argument("--key", type=Path, required=True, help="your key file")
    seal.add_argument("--opening-key", type=Path, required=True, help="the tender's opening public key (PEM)")
    seal.add_argument("--opening-fingerprint", help="the fingerprint published with the tender, to compare")
    seal.add_argument("--tender", required=True, help="the tender id, exactly as the platform shows it")
    seal.add_argument("--letter", type=Path, required=True, help="bid letter (JSON object, integers only)")
    seal.add_argument("--out", type=Path, required=True, help="the envelope file to write")
    seal.add_argument(
        "--chunk-size",
        type=int,
        default=envelope.DEFAULT_CHUNK_SIZE,
        help=f"bytes of plaintext per encrypted chunk, {envelope.MIN_CHUNK_SIZE} to {envelope.MAX_CHUNK_SIZE} "
        f"(default {envelope.DEFAULT_CHUNK_SIZE}, 1 MiB)",
    )
    seal.add_argument(
        "files", type=Path, nargs="*", help="the files of the bid (none is allowed: a bid letter alone is valid)"
    )
    add_passphrase_options(seal)
    seal.set_defaults(handler=cmd_seal)

    check = commands.add_parser("check", help="open your own envelope with your key and verify everything")
    check.add_argument("--key", type=Path, required=True, help="your key file")
    check.add_argument("--extract", type=Path, help="also write the decrypted files into this directory")
    check.add_argument(
        "--server", help="the platform's address: show the bid letter with the labels of the tender's bid form"
    )
    check.add_argument("--tender", type=int, help="with --server: the tender's number in its address")
    check.add_argument("envelope", type=Path)
    add_passphrase_options(check)
    check.set_defaults(handler=cmd_check)

    submit = commands.add_parser("submit", help="upload a sealed envelope (resumable) and get the signed receipt")
    add_platform_options(submit)
    submit.add_argument("--tender", type=int, required=True, help="the tender's number in its address on the platform")
    submit.add_argument("--part-size", type=int, help=argparse.SUPPRESS)  # tests: many small parts
    submit.add_argument("envelope", type=Path, help="the sealed envelope (from the seal command)")
    submit.set_defaults(handler=cmd_submit)

    status = commands.add_parser("status", help="how much of an upload the platform holds")
    add_platform_options(status)
    status.add_argument("--upload", required=True, help="the upload id (in ENVELOPE.upload.json)")
    status.set_defaults(handler=cmd_status)

    verify = commands.add_parser("verify-receipt", help="check a receipt's seal signature (and the envelope)")
    verify.add_argument("receipt", type=Path, help="the receipt file written by submit")
    verify.add_argument(
        "--ca", type=Path, help="the platform CA certificate (PEM) you trust; default: the one in the receipt file"
    )
    verify.add_argument("--envelope", type=Path, help="also check that this file is the envelope on the receipt")
    verify.add_argument(
        "--inclusion", type=Path,
        help="also check the log's proof that the receipt's entry is in a signed tree head "
        "(saved from GET /api/bids/ID/inclusion/)",
    )
    verify.set_defaults(handler=cmd_verify_receipt)

    withdraw = commands.add_parser("withdraw", help="withdraw a submitted bid before the deadline")
    add_platform_options(withdraw)
    withdraw.add_argument("--bid", type=int, required=True, help="the bid id (printed by submit)")
    withdraw.set_defaults(handler=cmd_withdraw)
    return parser


def main(argv=None) -> int:
    return run_main(build_parser(), argv)
