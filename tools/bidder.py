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

# What scripts and tests use from outside (bench/bench_bids.py, tests/sealing/test_cli_submit.py).
from tools.bidderkit.api import Platform, Transient  # noqa: E402
from tools.bidderkit.cli import main  # noqa: E402
from tools.bidderkit.common import human  # noqa: E402
from tools.bidderkit.upload import submit_envelope  # noqa: E402

__all__ = ["Platform", "Transient", "human", "main", "submit_envelope"]

if __name__ == "__main__":
    sys.exit(main())
