#!/usr/bin/env python3
"""Bidder CLI: make your keys, seal a bid on your own machine, check it, submit it, check the receipt.

    python tools/bidder.py keygen --out bidder-key.json
    python tools/bidder.py seal --key bidder-key.json --opening-key tender.pem --tender T-2025-001 \\
        --letter letter.json --out bid.sealed tech.pdf price.xlsx
    python tools/bidder.py check --key bidder-key.json bid.sealed [--extract DIR] [--server URL --tender 42]
    BZ_TOKEN=bzt_… python tools/bidder.py submit --server https://ggzy.example --tender 42 bid.sealed
    python tools/bidder.py verify-receipt bid.sealed.receipt.json [--ca ca.pem] [--envelope bid.sealed] [--inclusion bid.inclusion.json]
    python tools/bidder.py status --server … --upload UUID;  withdraw --server … --bid ID

Needs only Python 3.11, this folder, the sealedbid/ folder beside it and tools/requirements.txt
(pycryptodome; `cryptography` for the seal certificate's chain in submit and verify-receipt): see
sealedbid/README.md. keygen, seal and check send nothing anywhere. Format: docs/sealed-bid-format.md.
The commands live in tools/bidderkit/ (cli.py is the command line).
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python tools/bidder.py`: make tools/ and sealedbid/ importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    # pycryptodome reaches its C code through cffi when cffi is installed (`cryptography` brings it), and
    # then parses every library's declarations with pycparser as it loads: a quarter of a second of each
    # run. Its other way, ctypes, loads at once and releases the GIL the same (sealing's threads still
    # run side by side). Only for this command's own process: importing this module changes nothing.
    sys.modules.setdefault("cffi", None)

from tools.bidderkit.cli import main  # noqa: E402

# What scripts and tests use from outside (bench/bench_bids.py, tests/sealing/test_cli_submit.py), imported
# when asked for: `seal` and `check` need no HTTP client.
_EXPORTS = {"Platform": "api", "Transient": "api", "human": "common", "submit_envelope": "upload"}
__all__ = ["main", *_EXPORTS]


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"tools.bidderkit.{_EXPORTS[name]}"), name)

if __name__ == "__main__":
    sys.exit(main())
