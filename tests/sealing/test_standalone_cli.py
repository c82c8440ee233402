"""The bidder's and custodian's CLIs on a bidder's machine: a fresh virtual environment with only
tools/requirements.txt installed (from PyPI), and a copy of only the `tools/` and `sealedbid/` folders.
There the CLIs make keys, seal, check and submit to a live platform; and `sealedbid` imports with no
Django installed.

Marked `standalone` because it is slow (it builds a venv and pip-installs, a minute or more, and needs
PyPI): select it with `-m standalone`, leave it out with `-m "not standalone"`. It never skips itself:
if the venv or pip fails, the test fails.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from sealedbid import keys
from tests.sealing.conftest import ROOT
from tests.sealing.test_cli_submit import _calendar, _clear_cache, _fast_settings, api  # noqa: F401
from trading.models import Bid

pytestmark = [pytest.mark.standalone, pytest.mark.django_db(transaction=True), pytest.mark.timeout(900)]

PIP_TIMEOUT = 600  # seconds: downloading and installing pycryptodome and cryptography wheels


def _run(command, *, cwd, env, timeout=180):
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    """A bidder's machine: a venv with tools/requirements.txt only, and a copy of tools/ and sealedbid/."""
    root = tmp_path_factory.mktemp("bidder-machine")
    venv = root / "venv"
    base_env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    # Without pip of its own (ensurepip takes ~10 s): the test's pip installs into it (`pip --python`), so
    # the venv holds tools/requirements.txt and nothing else, not even pip.
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=root, env=base_env, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--disable-pip-version-check", "--no-input",
         "-r", ROOT / "tools" / "requirements.txt"],
        cwd=root,
        env=base_env,
        timeout=PIP_TIMEOUT,
    )
    assert installed.returncode == 0, f"pip install -r tools/requirements.txt failed:\n{installed.stdout}\n{installed.stderr}"
    app = root / "app"
    for folder in ("tools", "sealedbid"):
        shutil.copytree(ROOT / folder, app / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    work = root / "work"
    work.mkdir()
    # The bidder's shell: the venv first on PATH, nothing of the platform's environment.
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin",
        "HOME": str(root),
        "PYTHONIOENCODING": "utf-8",
        "PYTHONNOUSERSITE": "1",
        "LANG": "C.UTF-8",
    }
    return type("Machine", (), {"python": python, "app": app, "work": work, "env": env})


def tool(machine, name, *args, token=None):
    env = {**machine.env, **({"BZ_TOKEN": token} if token else {})}
    return _run([machine.python, machine.app / "tools" / f"{name}.py", *args], cwd=machine.work, env=env)


def test_sealedbid_imports_without_django(machine):
    check = (
        "import importlib.util, sys\n"
        "import sealedbid, sealedbid.canonical, sealedbid.ceremony, sealedbid.envelope, sealedbid.keys, sealedbid.letter\n"
        "absent = [m for m in ('django', 'ledger', 'trading', 'accounts') if importlib.util.find_spec(m)]\n"
        "assert not absent, absent\n"
        "print(sealedbid.canonical.canonical_json({'b': 1, 'a': '标'}).decode())\n"
    )
    result = _run([machine.python, "-c", check], cwd=machine.app, env=machine.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"a":"标","b":1}'
    result = _run([machine.python, "-c", "import django"], cwd=machine.app, env=machine.env)
    assert result.returncode == 1 and "ModuleNotFoundError" in result.stderr  # truly no Django there


def test_keys_seal_check_and_submit_from_a_bidders_machine(machine, server, platform_pki, regions, make_user):
    from accounts.actions import create_api_token
    from tests.trading.bidding import published_tender

    tender = published_tender()
    bidder = make_user("bidder")
    token = create_api_token(actor=bidder, name="standalone")[1]

    result = tool(machine, "bidder", "keygen", "--out", "key.json", "--no-passphrase")
    assert result.returncode == 0, result.stderr
    mine = keys.load_key_file((machine.work / "key.json").read_bytes())
    for purpose, key in (("bid_signing", mine.signing), ("bid_encryption", mine.encryption)):
        status, body = api(server, "POST", "/api/keys/", token=token, body={"purpose": purpose, "pem": keys.public_pem(key)})
        assert status == 201, body
    result = tool(machine, "custodian", "keygen", "--out", "custodian.json", "--no-passphrase")
    assert result.returncode == 0, result.stderr
    assert keys.key_file_kind((machine.work / "custodian.json").read_bytes()) == "custodian"

    status, published = api(server, "GET", f"/api/tenders/{tender.pk}/", token=token)
    assert status == 200
    (machine.work / "opening.pem").write_text(published["opening_key"]["public_key_pem"], encoding="ascii")
    (machine.work / "letter.json").write_text(json.dumps({"price": 96_500_000, "duration_days": 150}), encoding="utf-8")
    (machine.work / "技术标.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(150_000))
    result = tool(
        machine, "bidder", "seal", "--key", "key.json", "--opening-key", "opening.pem",
        "--opening-fingerprint", published["opening_key"]["fingerprint"], "--tender", published["code"],
        "--letter", "letter.json", "--out", "bid.sealed", "技术标.pdf",
    )
    assert result.returncode == 0, result.stderr

    result = tool(machine, "bidder", "check", "--key", "key.json", "--server", server.url, "--tender", tender.pk,
                  "bid.sealed")
    assert result.returncode == 0, result.stderr
    assert "structure and signature OK" in result.stdout and "the envelope is complete" in result.stdout
    assert "¥965,000.00" in result.stdout  # the bid letter as the tender's bid form shows it

    result = tool(machine, "bidder", "submit", "--server", server.url, "--tender", tender.pk, "bid.sealed",
                  token=token)
    assert result.returncode == 0, result.stdout + result.stderr
    bid = Bid.objects.get()
    envelope = (machine.work / "bid.sealed").read_bytes()
    assert (bid.size, bid.organization_id, bid.status) == (len(envelope), bidder.organization_id, "submitted")
    assert f"receipt number   {bid.receipt_no}" in result.stdout

    result = tool(machine, "bidder", "verify-receipt", "bid.sealed.receipt.json", "--envelope", "bid.sealed")
    assert result.returncode == 0, result.stderr
    assert f"RECEIPT VALID: {bid.receipt_no}" in result.stdout and "chain OK" in result.stdout
