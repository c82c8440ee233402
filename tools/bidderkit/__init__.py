"""The bidder's and custodian's command-line tools, in parts a reader can hold in mind.

    common.py    errors, output, the run loop every command goes through (both CLIs)
    keys.py      passphrases, key files, keygen (both CLIs)
    api.py       the platform's HTTP API: one keep-alive connection, token, retries
    sealing.py   seal and check, on the bidder's machine (nothing is sent)
    upload.py    submit (resumable upload), status, withdraw
    parts.py     the envelope's bytes going out, part by part, hashed on the way
    receipts.py  the signed receipt file: write, verify
    cli.py       the bidder's command line

The entry scripts are tools/bidder.py and tools/custodian.py. The format itself is the sealedbid
package (no Django); installing on a bidder's machine: sealedbid/README.md.
"""
