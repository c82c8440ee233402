"""sealed-bid/1: the sealed-bid format of the Bazhong trading platform, as a library of its own.

Keys and key files (keys), the envelope (envelope), the opening-key ceremony (ceremony), the bid
letter as the bid form shows it (letter) and canonical JSON (canonical). Pure Python on pycryptodome:
no Django and no import of the platform, so the bidder and custodian CLIs (tools/) run on a bidder's
machine with only tools/requirements.txt installed. The platform (trading/, ledger/) uses it too.

The public contract is docs/sealed-bid-format.md; static/js/sealing.js implements the same format.
See README.md beside this file.
"""
