"""The bidder and custodian CLIs, run as a bidder would run them: `python tools/bidder.py …`."""

import base64
import json
import os
import stat
import subprocess
import sys

import pytest

from sealedbid import ceremony, envelope, keys
from tests.sealing.conftest import ROOT


def cli(tool, *args, cwd):
    # From another directory than the repository, to prove the scripts find their own imports.
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / f"{tool}.py"), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, opening_key):
    """A bidder's folder: a protected key file, the tender's opening key, a bid letter and two files."""
    path = tmp_path_factory.mktemp("bidder")
    (path / "passphrase.txt").write_text("我的口令 correct horse\n", encoding="utf-8")
    result = cli("bidder", "keygen", "--out", "key.json", "--passphrase-file", "passphrase.txt", cwd=path)
    assert result.returncode == 0, result.stderr
    (path / "keygen.out").write_text(result.stdout, encoding="utf-8")
    (path / "opening.pem").write_text(keys.public_pem(opening_key), encoding="ascii")
    (path / "letter.json").write_text(
        json.dumps({"price": 1180000000, "duration_days": 120, "质量": "合格"}), encoding="utf-8"
    )
    (path / "技术标.pdf").write_bytes(os.urandom(2_500_000))
    (path / "note.txt").write_text("工期 120 天\n", encoding="utf-8")
    result = cli(
        "bidder",
        "seal",
        "--key",
        "key.json",
        "--passphrase-file",
        "passphrase.txt",
        "--opening-key",
        "opening.pem",
        "--tender",
        "BZ-2025-0001",
        "--letter",
        "letter.json",
        "--out",
        "bid.sealed",
        "技术标.pdf",
        "note.txt",
        cwd=path,
    )
    assert result.returncode == 0, result.stderr
    (path / "seal.out").write_text(result.stdout, encoding="utf-8")
    return path


def test_keygen_writes_a_private_protected_key_file_and_prints_the_public_keys(workdir):
    key_file = workdir / "key.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    data = key_file.read_bytes()
    assert keys.is_protected(data) and b"private" not in data
    bidder = keys.load_key_file(data, "我的口令 correct horse")
    out = (workdir / "keygen.out").read_text(encoding="utf-8")
    assert f"signing key fingerprint:    {keys.fingerprint(bidder.signing)}" in out
    assert f"encryption key fingerprint: {keys.fingerprint(bidder.encryption)}" in out
    assert keys.public_pem(bidder.signing) in out and keys.public_pem(bidder.encryption) in out


def test_keygen_never_overwrites_a_key_file(workdir):
    before = (workdir / "key.json").read_bytes()
    result = cli("bidder", "keygen", "--out", "key.json", "--no-passphrase", cwd=workdir)
    assert result.returncode == 1 and "already exists" in result.stderr
    assert (workdir / "key.json").read_bytes() == before


def test_seal_prints_its_steps_and_writes_an_envelope_the_server_accepts(workdir, opening_key):
    out = (workdir / "seal.out").read_text(encoding="utf-8")
    for step in ("[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]", "chunk 1/3", "chunk 3/3", "100%"):
        assert step in out
    bidder = keys.load_key_file((workdir / "key.json").read_bytes(), "我的口令 correct horse")
    with (workdir / "bid.sealed").open("rb") as f:
        info = envelope.check_structure(
            f,
            bidder.signing,
            expected_tender_id="BZ-2025-0001",
            expected_opening_fingerprint=keys.fingerprint(opening_key),
        )
    assert f"SHA-256 {info.sha256}" in out
    assert not (workdir / "bid.sealed.part").exists()
    with (workdir / "bid.sealed").open("rb") as f:
        opened = envelope.open_envelope(f, opening_key)
        contents = {e["name"]: s.read() for e, s in opened.files()}
    assert opened.bid_letter == {"price": 1180000000, "duration_days": 120, "质量": "合格"}
    assert [e["media_type"] for e in opened.manifest["files"]] == ["application/pdf", "text/plain"]
    assert contents == {"技术标.pdf": (workdir / "技术标.pdf").read_bytes(), "note.txt": "工期 120 天\n".encode()}


def test_check_opens_the_envelope_with_the_bidders_own_key_and_extracts(workdir):
    result = cli(
        "bidder",
        "check",
        "--key",
        "key.json",
        "--passphrase-file",
        "passphrase.txt",
        "--extract",
        "out",
        "bid.sealed",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    # The letter as the bid form showed it (the platform's standard form): labels, money in yuan.
    assert "bid letter (投标函):\n  投标报价(元): ¥11,800,000.00\n  工期(日历天): 120\n  质量: 合格\n" in result.stdout
    assert "1180000000" not in result.stdout
    assert "技术标.pdf  2500000 bytes  application/pdf" in result.stdout
    assert "the envelope is complete" in result.stdout
    assert (workdir / "out" / "技术标.pdf").read_bytes() == (workdir / "技术标.pdf").read_bytes()
    assert (workdir / "out" / "note.txt").read_bytes() == (workdir / "note.txt").read_bytes()


def test_check_reports_a_tampered_envelope_by_its_code(workdir):
    data = bytearray((workdir / "bid.sealed").read_bytes())
    data[5000] ^= 1
    (workdir / "tampered.sealed").write_bytes(data)
    result = cli(
        "bidder", "check", "--key", "key.json", "--passphrase-file", "passphrase.txt", "tampered.sealed", cwd=workdir
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error (bad_signature)")


def test_a_wrong_passphrase_is_reported(workdir):
    (workdir / "wrong.txt").write_text("not it\n", encoding="utf-8")
    result = cli("bidder", "check", "--key", "key.json", "--passphrase-file", "wrong.txt", "bid.sealed", cwd=workdir)
    assert result.returncode == 1 and result.stderr.startswith("error (wrong_passphrase)")


def test_seal_refuses_a_float_in_the_bid_letter_and_leaves_no_file(workdir):
    (workdir / "float.json").write_text('{"price": 888000.00}', encoding="utf-8")
    result = cli(
        "bidder",
        "seal",
        "--key",
        "key.json",
        "--passphrase-file",
        "passphrase.txt",
        "--opening-key",
        "opening.pem",
        "--tender",
        "T",
        "--letter",
        "float.json",
        "--out",
        "float.sealed",
        "note.txt",
        cwd=workdir,
    )
    assert result.returncode == 1 and "888000.00 is not an integer" in result.stderr
    assert not (workdir / "float.sealed").exists()


def test_seal_compares_the_published_fingerprint(workdir):
    result = cli(
        "bidder",
        "seal",
        "--key",
        "key.json",
        "--passphrase-file",
        "passphrase.txt",
        "--opening-key",
        "opening.pem",
        "--opening-fingerprint",
        "00" * 32,
        "--tender",
        "T",
        "--letter",
        "letter.json",
        "--out",
        "fp.sealed",
        "note.txt",
        cwd=workdir,
    )
    assert result.returncode == 1 and "fingerprint published with the tender" in result.stderr
    assert not (workdir / "fp.sealed").exists() and not (workdir / "fp.sealed.part").exists()


def test_a_custodian_decrypts_their_share(tmp_path, custodians):
    result = cli("custodian", "keygen", "--out", "custodian.json", "--no-passphrase", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    mine = keys.load_key_file((tmp_path / "custodian.json").read_bytes())
    assert f"fingerprint: {keys.fingerprint(mine.encryption)}" in result.stdout
    record = ceremony.create_opening_key([mine.encryption.public_key(), custodians[0].encryption], 2, "T-7")
    share = ceremony.decrypt_share(record.shares[0].encrypted_share, mine.encryption)
    encrypted = base64.b64encode(record.shares[0].encrypted_share).decode()
    (tmp_path / "share.txt").write_text(encrypted[:100] + "\n" + encrypted[100:] + "\n", encoding="ascii")
    for source in (["--share", encrypted], ["--share-file", "share.txt"]):
        result = cli("custodian", "decrypt-share", "--key", "custodian.json", *source, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout == base64.b64encode(share).decode() + "\n"
        assert f"share 1, SHA-256 {record.shares[0].share_hash}" in result.stderr
    result = cli(
        "custodian",
        "decrypt-share",
        "--key",
        "custodian.json",
        "--share",
        base64.b64encode(record.shares[1].encrypted_share).decode(),
        cwd=tmp_path,
    )
    assert result.returncode == 1 and result.stderr.startswith("error (wrong_shares)")


def test_the_vectors_check_with_the_cli(tmp_path, vectors):
    (tmp_path / "key.json").write_text(json.dumps(vectors["keys"]["bidder_key_file_protected"]), encoding="utf-8")
    (tmp_path / "passphrase.txt").write_text(vectors["keys"]["passphrase"] + "\n", encoding="utf-8")
    for number, vector in enumerate(vectors["vectors"]):
        (tmp_path / f"{number}.sealed").write_bytes(base64.b64decode(vector["envelope"]))
        result = cli(
            "bidder",
            "check",
            "--key",
            "key.json",
            "--passphrase-file",
            "passphrase.txt",
            "--extract",
            f"out{number}",
            f"{number}.sealed",
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert f"SHA-256          {vector['envelope_sha256']}" in result.stdout
        for f in vector["input"]["files"]:
            assert (tmp_path / f"out{number}" / f["name"]).read_bytes() == base64.b64decode(f["data"])


def test_the_vectors_file_is_what_make_vectors_makes(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_vectors.py"), "--check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_seal_allows_a_bid_letter_without_files(workdir, opening_key):
    result = cli(
        "bidder", "seal", "--key", "key.json", "--passphrase-file", "passphrase.txt", "--opening-key", "opening.pem",
        "--tender", "BZ-2025-0001", "--letter", "letter.json", "--out", "letter-only.sealed", cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    assert "and 0 file(s)" in result.stdout
    with (workdir / "letter-only.sealed").open("rb") as f:
        opened = envelope.open_envelope(f, opening_key)
        assert opened.manifest == {"bid_letter": {"price": 1180000000, "duration_days": 120, "质量": "合格"},
                                   "files": []}
        opened.finish()
    assert opened.verified


def test_seal_help_shows_the_chunk_size(tmp_path):
    result = cli("bidder", "seal", "--help", cwd=tmp_path)
    assert result.returncode == 0
    shown = " ".join(result.stdout.split())  # argparse wraps lines
    assert "--chunk-size CHUNK_SIZE bytes of plaintext per encrypted chunk, 1024 to 16777216" in shown
    assert "none is allowed: a bid letter alone is valid" in shown


def test_a_custodian_key_file_given_to_the_bidder_tool_is_named(workdir, custodians):
    (workdir / "custodian.json").write_bytes(keys.dump_key_file(custodians[0], "口令"))
    result = cli("bidder", "check", "--key", "custodian.json", "bid.sealed", cwd=workdir)  # no passphrase asked
    assert result.returncode == 1
    assert result.stderr == "error: custodian.json is a custodian key file, not a bidder key file\n"


def test_a_bidder_key_file_given_to_the_custodian_tool_is_named(workdir):
    result = cli("custodian", "decrypt-share", "--key", "key.json", "--share", "AAAA", cwd=workdir)
    assert result.returncode == 1
    assert result.stderr == "error: key.json is a bidder key file, not a custodian key file\n"


def test_seal_starts_without_an_http_client_or_a_c_declaration_parser(workdir):
    """Start-up is most of a small bid's sealing time: `seal` imports nothing it does not use (no HTTP client,
    no receipt checker), and pycryptodome loads its C code through ctypes instead of parsing declarations
    with cffi's pycparser (docs in tools/bidder.py)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / "tools" / "bidder.py"), "seal", "--key", "key.json",
         "--passphrase-file", "passphrase.txt", "--opening-key", "opening.pem", "--tender", "BZ-2025-0001",
         "--letter", "letter.json", "--out", "startup.sealed", "note.txt"],
        cwd=workdir, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "sealedbid.envelope" in imported and "Crypto.Cipher.AES" in imported  # what sealing needs
    assert not imported & {"http.client", "ssl", "pycparser", "tools.logcheck", "tools.bidderkit.upload"}
    with (workdir / "startup.sealed").open("rb") as f:
        assert envelope.inspect(f).header["tender_id"] == "BZ-2025-0001"
