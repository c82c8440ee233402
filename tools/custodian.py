#!/usr/bin/env python3
"""Key custodian CLI: make your custodian key, and decrypt your share of a tender's opening key.

    python tools/custodian.py keygen --out custodian-key.json
    python tools/custodian.py decrypt-share --key custodian-key.json --share-file share.txt

The platform shows each custodian their encrypted share (base64) and its SHA-256; after the opening
time the custodian decrypts it here (or in the browser) and releases the plain share.
"""

import argparse
import base64
import binascii
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python tools/custodian.py`: make tools/ and sealedbid/ importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sealedbid import ceremony, keys  # noqa: E402
from tools.bidderkit.common import CliError, say  # noqa: E402
from tools.bidderkit.common import main as run_main  # noqa: E402
from tools.bidderkit.keys import add_keygen_command, add_passphrase_options, make_key_file, read_key_file  # noqa: E402


def cmd_keygen(args):
    custodian = make_key_file(args, "an RSA-OAEP-3072 custodian key", keys.generate_custodian_keys)
    say(f"fingerprint: {keys.fingerprint(custodian.encryption)}")
    say("public key to register on the platform:")
    say(keys.public_pem(custodian.encryption))


def cmd_decrypt_share(args):
    text = args.share if args.share is not None else args.share_file.read_text(encoding="ascii")
    try:
        encrypted = base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as exc:
        raise CliError("the encrypted share is not base64") from exc
    custodian = read_key_file(args.key, args, kind="custodian")
    share = ceremony.decrypt_share(encrypted, custodian.encryption)
    # The hash goes to stderr so that stdout is exactly the share, ready to paste or pipe.
    print(f"share {share[0]}, SHA-256 {ceremony.share_hash(share)}", file=sys.stderr)
    say(base64.b64encode(share).decode("ascii"))


def build_parser():
    parser = argparse.ArgumentParser(prog="custodian.py", description="Key custodian tools for sealed bids.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_keygen_command(commands, cmd_keygen, "make your custodian key pair")

    decrypt = commands.add_parser("decrypt-share", help="decrypt your share and print it (base64)")
    decrypt.add_argument("--key", type=Path, required=True, help="your custodian key file")
    source = decrypt.add_mutually_exclusive_group(required=True)
    source.add_argument("--share", help="the encrypted share, base64")
    source.add_argument("--share-file", type=Path, help="a file holding the encrypted share, base64")
    add_passphrase_options(decrypt)
    decrypt.set_defaults(handler=cmd_decrypt_share)
    return parser


def main(argv=None) -> int:
    return run_main(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
