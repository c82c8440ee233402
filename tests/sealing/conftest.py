"""Fixtures for the sealing tests: real keys, made once per session by OpenSSL.

These tests need neither Django nor a database (run them with `-p no:django`), so the project-wide
autouse fixtures of tests/conftest.py, which touch Django settings and cache, are replaced here.
"""

import io
import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from Crypto.PublicKey import ECC, RSA

from sealedbid import envelope, keys

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "docs" / "sealed-bid-vectors.json"


@pytest.fixture(autouse=True)
def _fast_settings():
    """No Django here (overrides tests/conftest.py)."""


@pytest.fixture(scope="session", autouse=True)
def _static_root():
    """No Django static files here (overrides tests/conftest.py)."""


@pytest.fixture(autouse=True)
def _clear_cache():
    """No Django cache here (overrides tests/conftest.py)."""


def _rsa():
    """An RSA-3072 key made by OpenSSL, as the platform makes opening keys (sealedbid.ceremony): pycryptodome's
    own generator, which the CLIs' keygen uses (test_cli.py runs it), takes seconds a key on a busy machine."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=keys.RSA_BITS)
    return RSA.import_key(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _bidder_keys():
    return keys.BidderKeys(signing=ECC.generate(curve="P-256"), encryption=_rsa())


@pytest.fixture(scope="session")
def bidder():
    return _bidder_keys()


@pytest.fixture(scope="session")
def other_bidder():
    return _bidder_keys()


@pytest.fixture(scope="session")
def opening_key():
    return _rsa()


@pytest.fixture(scope="session")
def other_opening_key():
    return _rsa()


@pytest.fixture(scope="session")
def custodians():
    return [keys.CustodianKeys(encryption=_rsa()) for _ in range(5)]


@pytest.fixture(scope="session")
def vectors():
    return json.loads(VECTORS.read_text(encoding="utf-8"))


LETTER = {"price_fen": 1234567800, "duration_days": 180, "quality": "合格", "bidder": "巴中示例公司"}


def seal_bytes(bidder, opening_key, files, letter=LETTER, chunk_size=1024, tender_id="T-1") -> bytes:
    """files: [(name, bytes)] → the envelope bytes."""
    out = io.BytesIO()
    envelope.seal(
        out,
        bid_letter=letter,
        files=[envelope.PlainFile(name, io.BytesIO(data), len(data)) for name, data in files],
        tender_id=tender_id,
        opening_public_key=opening_key.public_key(),
        bidder=bidder,
        chunk_size=chunk_size,
    )
    return out.getvalue()


def open_bytes(data, private_key, which="opening", **kwargs):
    """Open fully: (manifest, {name: bytes}), after every check has passed."""
    opened = envelope.open_envelope(io.BytesIO(data), private_key, which, **kwargs)
    contents = {entry["name"]: stream.read() for entry, stream in opened.files()}
    assert opened.verified
    return opened.manifest, contents


@pytest.fixture(scope="session")
def server(django_db_setup):
    """The platform over real HTTP, for the tests that need Django (test_cli_submit.py,
    test_standalone_cli.py): daphne serving `config.asgi` in a thread of the test process, on the test
    database. Session scope: Twisted's reactor runs once per process, so every module shares it."""
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from twisted.internet import reactor

    from config.asgi import application

    daphne = Server(
        application=application,
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=0),
        signal_handlers=False,
        verbosity=0,
    )
    thread = threading.Thread(target=daphne.run, name="daphne", daemon=True)
    thread.start()
    give_up = time.monotonic() + 20
    while not daphne.listening_addresses:
        assert thread.is_alive() and time.monotonic() < give_up, "daphne did not start"
        time.sleep(0.05)
    host, port = daphne.listening_addresses[0]
    yield SimpleNamespace(url=f"http://{host}:{port}", host=host, port=port)
    reactor.callFromThread(reactor.stop)
    thread.join(timeout=10)
