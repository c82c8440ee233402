"""Key files on the person's machine, for both CLIs: passphrases, reading, and making a new key file
(never overwriting one: a lost private key cannot be made again)."""

import getpass
import os
from pathlib import Path

from sealedbid import keys

from .common import CliError, say


def add_passphrase_options(parser, creating=False):
    parser.add_argument("--passphrase-file", type=Path, help="read the passphrase from the first line of this file")
    if creating:
        parser.add_argument("--no-passphrase", action="store_true", help="store the private keys unencrypted")


def _passphrase_from_file(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0]:
        raise CliError(f"{path}: empty passphrase file")
    return lines[0]


def new_passphrase(args) -> str | None:
    if args.no_passphrase:
        return None
    if args.passphrase_file:
        return _passphrase_from_file(args.passphrase_file)
    first = getpass.getpass("Passphrase for the new key file: ")
    if not first or first != getpass.getpass("Repeat the passphrase: "):
        raise CliError("the passphrases are empty or differ")
    return first


def read_key_file(path: Path, args, kind=None):
    data = path.read_bytes()
    passphrase = None
    given = keys.key_file_kind(data)
    if kind and given and given != kind:  # say so before asking for a passphrase
        raise CliError(f"{path} is a {given} key file, not a {kind} key file")
    if keys.is_protected(data):
        if args.passphrase_file:
            passphrase = _passphrase_from_file(args.passphrase_file)
        else:
            passphrase = getpass.getpass(f"Passphrase for {path}: ")
    return keys.load_key_file(data, passphrase, kind=kind)


def write_new_file(path: Path, data: bytes, mode=0o600):
    """Create the file, never overwrite one: a lost private key cannot be made again."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise CliError(f"{path} already exists; choose another name") from exc
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def make_key_file(args, what: str, generate):
    """keygen of both CLIs: refuse an existing --out, ask the passphrase, `generate()` the keys (saying
    `what` is being made), write the key file. Returns the keys."""
    if args.out.exists():  # before the passphrase prompt and the slow key generation
        raise CliError(f"{args.out} already exists; choose another name")
    passphrase = new_passphrase(args)
    say(f"generating {what}…")
    made = generate()
    write_new_file(args.out, keys.dump_key_file(made, passphrase))
    say(f"wrote {args.out} ({'protected by your passphrase' if passphrase else 'NOT protected by a passphrase'})")
    return made


def cmd_keygen(args):
    """The bidder's keys: a signing key and an encryption key."""
    bidder = make_key_file(
        args, "an ECDSA P-256 signing key and an RSA-OAEP-3072 encryption key", keys.generate_bidder_keys
    )
    say("keep it safe: without it you cannot check your own sealed bids")
    say(f"signing key fingerprint:    {keys.fingerprint(bidder.signing)}")
    say(f"encryption key fingerprint: {keys.fingerprint(bidder.encryption)}")
    say("public keys to register on the platform:")
    say(keys.public_pem(bidder.signing))
    say(keys.public_pem(bidder.encryption))


def add_keygen_command(commands, handler, help_text):
    """The keygen subcommand, the same in both CLIs."""
    keygen = commands.add_parser("keygen", help=help_text)
    keygen.add_argument("--out", type=Path, required=True, help="new key file (JSON)")
    add_passphrase_options(keygen, creating=True)
    keygen.set_defaults(handler=handler)
    return keygen
