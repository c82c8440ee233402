"""Sealed bids (DESIGN §5): the pure cryptographic core, shared by the server, the CLIs and the tests.

No Django here (but messages.py, the pages' translated error texts): the bidder CLI runs on the bidder's
machine with only pycryptodome installed.
The public contract is docs/sealed-bid-format.md; static/js/sealing.js implements the same format.
"""
