"""static/js/sealing.js in real Chromium against the Python implementation, both ways.

static/js/ is served from a throwaway http.server on 127.0.0.1 (a secure context, so crypto.subtle
exists); the page imports the module and the tests call it through page.evaluate. Bytes cross the
boundary as base64.
"""

import base64
import functools
import hashlib
import http.server
import io
import json
import subprocess
import sys
import threading

import pytest
from playwright.sync_api import sync_playwright

from ledger.canonical import canonical_json
from sealedbid import ceremony, envelope, keys
from tests.sealing.conftest import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE = b"<!doctype html><meta charset=utf-8><title>sealing.js test page</title>"


class Handler(http.server.SimpleHTTPRequestHandler):
    """static/js/ as the site root, plus an empty page at / to import the module from."""

    def do_GET(self):
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
        else:
            super().do_GET()

    def do_POST(self):
        """Collect uploaded pieces, in order, under the path they were posted to."""
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.uploads.setdefault(self.path, bytearray()).extend(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT / "static" / "js"))
    )
    httpd.uploads = {}
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(server.url + "/")
        page.evaluate("async () => { window.S = await import('/sealing.js'); }")
        # Helpers used by the tests below: base64 <-> Blob, and opening with per-file SHA-256 digests.
        page.evaluate("""() => {
            window.b64ToBlob = (b64) => new Blob([S.fromBase64(b64)]);
            window.blobToB64 = async (blob) => S.toBase64(new Uint8Array(await blob.arrayBuffer()));
            window.openAndDigest = async (b64, keys, which) => {
                const parts = {};
                const result = await S.openEnvelope(b64ToBlob(b64), keys, {
                    which, onData: (i, entry, bytes) => { (parts[entry.name] ||= []).push(bytes.slice()); },
                });
                const digests = {};
                for (const [name, list] of Object.entries(parts)) digests[name] = await S.sha256Hex(S.concatBytes(...list));
                return { header: result.header, manifest: result.manifest, digests };
            };
            window.codeOf = async (promise) => { try { await promise; return "ok"; } catch (e) { return e.code || String(e); } };
        }""")
        yield page
        assert errors == []
        browser.close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_canonical_json_is_the_same_in_both_languages(page):
    values = [
        {"b": 1, "a": [True, False, None], "中": "文", "\U0001f600": "astral", "\uff61": "bmp", "": 0},
        {"s": '\x00\x1f\x7f\u2028\u2029"\\/\n\r\t\b\f é 巴中', "max": 2**53 - 1, "min": -(2**53 - 1)},
        [[], {}, "", -1, 0, {"z": {"y": {"x": []}}}],
    ]
    for value in values:
        assert page.evaluate("(v) => S.canonicalJson(v)", value).encode("utf-8") == canonical_json(value)
    assert (
        page.evaluate("() => { try { S.canonicalJson({a: 1.5}); return 'accepted'; } catch { return 'refused'; } }")
        == "refused"
    )


def test_keys_and_a_bid_sealed_in_the_browser_open_in_python(page, opening_key):
    result = page.evaluate(
        """async ({ pem, letter }) => {
            const keys = await S.generateBidderKeys();
            const big = new Uint8Array(2.5 * 1024 * 1024);
            for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
            const files = [
                new File([big], "技术标.pdf", { type: "application/pdf" }),
                { name: "empty.txt", data: new Uint8Array(0), mediaType: "text/plain" },
                new File(["工期 180 日历天\\n"], "note.txt", { type: "text/plain;charset=utf-8" }),
            ];
            const progress = [];
            const sealed = await S.sealBid({
                bidLetter: letter, files, tenderId: "BZ-2025-0009", openingKeyPem: pem, bidderKeys: keys,
                onProgress: (p) => progress.push(p.chunk),
            });
            const pieces = [];
            for await (const piece of sealed.pieces()) pieces.push(piece);
            const blob = new Blob(pieces);
            return {
                envelope: await blobToB64(blob),
                size: sealed.size,
                pieceSizes: pieces.map((p) => p.length),
                progress,
                bigSha: await S.sha256Hex(big),
                keyFile: await S.exportKeyFile(keys),
                protectedKeyFile: await S.exportKeyFile(keys, { passphrase: "口令 pass" }),
                signingPem: keys.signing.pem,
            };
        }""",
        {"pem": keys.public_pem(opening_key), "letter": {"price_fen": 5_000_000_00, "质量": "合格"}},
    )
    data = base64.b64decode(result["envelope"])
    assert len(data) == result["size"]
    bidder = keys.load_key_file(result["protectedKeyFile"].encode(), "口令 pass")
    assert keys.spki_der(keys.load_key_file(result["keyFile"].encode()).signing) == keys.spki_der(bidder.signing)
    info = envelope.check_structure(
        io.BytesIO(data),
        result["signingPem"],
        expected_tender_id="BZ-2025-0009",
        expected_opening_fingerprint=keys.fingerprint(opening_key),
    )
    assert info.header["chunk_count"] == 3 and result["progress"] == [1, 2, 3]
    # prefix, three chunk records (never more than a chunk and its tag), signature
    assert len(result["pieceSizes"]) == 5 and max(result["pieceSizes"][1:-1]) == (1 << 20) + 16
    for key, which in ((opening_key, "opening"), (bidder.encryption, "bidder")):
        opened = envelope.open_envelope(io.BytesIO(data), key, which, expected_signing_public_key=bidder.signing)
        contents = {entry["name"]: stream.read() for entry, stream in opened.files()}
        assert opened.verified
        assert opened.bid_letter == {"price_fen": 5_000_000_00, "质量": "合格"}
        assert [(e["name"], e["media_type"]) for e in opened.manifest["files"]] == [
            ("技术标.pdf", "application/pdf"),
            ("empty.txt", "text/plain"),
            ("note.txt", "text/plain"),
        ]
        assert sha(contents["技术标.pdf"]) == result["bigSha"]
        assert contents["empty.txt"] == b"" and contents["note.txt"] == "工期 180 日历天\n".encode()


def test_a_large_file_is_sealed_and_uploaded_piece_by_piece(page, server, opening_key, bidder):
    # 12 MiB + a bit, built from 1 MiB Blobs (MiB i filled with byte i): never one big array in JS.
    result = page.evaluate(
        """async ({ pem, keyFile }) => {
            const keys = await S.importKeyFile(keyFile);
            const parts = [];
            for (let i = 0; i < 12; i++) parts.push(new Blob([new Uint8Array(1 << 20).fill(i)]));
            parts.push(new Blob([new Uint8Array(12345).fill(255)]));
            const file = new File(parts, "big.bin", { type: "application/zip" });
            const sealed = await S.sealBid({ bidLetter: { price_fen: 1 }, files: [file], tenderId: "T-big",
                                             openingKeyPem: pem, bidderKeys: keys });
            const sizes = [];
            for await (const piece of sealed.pieces()) {
                const response = await fetch("/upload/big", { method: "POST", body: piece });
                if (response.status !== 204) throw new Error("upload failed");
                sizes.push(piece.length);
            }
            return { size: sealed.size, sizes, again: await codeOf(sealed.pieces().next()) };
        }""",
        {"pem": keys.public_pem(opening_key), "keyFile": keys.dump_key_file(bidder).decode()},
    )
    data = bytes(server.uploads["/upload/big"])
    assert len(data) == result["size"] == sum(result["sizes"])
    assert len(result["sizes"]) == 13 + 2 and max(result["sizes"][1:-1]) == (1 << 20) + 16
    assert result["again"].startswith("Error: pieces() can be iterated once")
    assert envelope.check_structure(io.BytesIO(data), bidder.signing).header["chunk_count"] == 13
    opened = envelope.open_envelope(io.BytesIO(data), opening_key)
    for entry, stream in opened.files():
        assert entry == {"media_type": "application/zip", "name": "big.bin", "size": 12 * (1 << 20) + 12345}
        for i in range(12):
            assert stream.read(1 << 20) == bytes([i]) * (1 << 20)
        assert stream.read() == bytes([255]) * 12345
    assert opened.verified


def test_small_chunks_sealed_in_the_browser_open_in_python(page, opening_key, bidder):
    key_file = keys.dump_key_file(bidder).decode()
    result = page.evaluate(
        """async ({ pem, keyFile }) => {
            const keys = await S.importKeyFile(keyFile);
            const { blob } = await S.sealBidToBlob({
                bidLetter: { "\\u{1F600}": 1, "\\uFF61": 2, a: [null, true] }, tenderId: "T", openingKeyPem: pem,
                bidderKeys: keys, chunkSize: 1024, files: [{ name: "x.bin", data: new Uint8Array(5000).fill(7) }],
            });
            return blobToB64(blob);
        }""",
        {"pem": keys.public_pem(opening_key), "keyFile": key_file},
    )
    data = base64.b64decode(result)
    assert envelope.check_structure(io.BytesIO(data), bidder.signing).header["chunk_count"] == 6
    opened = envelope.open_envelope(io.BytesIO(data), opening_key)
    assert {e["name"]: s.read() for e, s in opened.files()} == {"x.bin": bytes([7]) * 5000}
    assert opened.bid_letter == {"\U0001f600": 1, "\uff61": 2, "a": [None, True]}


def test_a_bid_sealed_by_the_cli_checks_in_the_browser(page, opening_key, bidder, other_bidder, tmp_path):
    (tmp_path / "key.json").write_bytes(keys.dump_key_file(bidder, "pass 口令"))
    (tmp_path / "pass.txt").write_text("pass 口令\n", encoding="utf-8")
    (tmp_path / "opening.pem").write_text(keys.public_pem(opening_key), encoding="ascii")
    (tmp_path / "letter.json").write_text('{"price_fen": 7, "名称": "投标函"}', encoding="utf-8")
    (tmp_path / "a.bin").write_bytes(bytes(range(256)) * 9000)
    (tmp_path / "b.txt").write_text("second file\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "bidder.py"),
            "seal",
            "--key",
            "key.json",
            "--passphrase-file",
            "pass.txt",
            "--opening-key",
            "opening.pem",
            "--tender",
            "T-3",
            "--letter",
            "letter.json",
            "--out",
            "bid.sealed",
            "a.bin",
            "b.txt",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    sealed = base64.b64encode((tmp_path / "bid.sealed").read_bytes()).decode()
    opened = page.evaluate(
        """async ({ keyFile, sealed }) => {
            const keys = await S.importKeyFile(keyFile, { passphrase: "pass 口令" });
            return openAndDigest(sealed, keys, "bidder");
        }""",
        {"keyFile": (tmp_path / "key.json").read_text(), "sealed": sealed},
    )
    assert opened["manifest"] == {
        "bid_letter": {"price_fen": 7, "名称": "投标函"},
        "files": [
            {"media_type": "application/octet-stream", "name": "a.bin", "size": 256 * 9000},
            {"media_type": "text/plain", "name": "b.txt", "size": 12},
        ],
    }
    assert opened["digests"] == {"a.bin": sha((tmp_path / "a.bin").read_bytes()), "b.txt": sha(b"second file\n")}
    assert opened["header"]["tender_id"] == "T-3"

    sealed_bytes = (tmp_path / "bid.sealed").read_bytes()
    data = bytearray(sealed_bytes)
    data[len(data) // 2] ^= 1
    codes = page.evaluate(
        """async ({ own, other, sealed, tampered, badSignature }) => {
            const mine = await S.importKeyFile(own, { passphrase: "pass 口令" });
            const theirs = await S.importKeyFile(other);
            return {
                tampered: await codeOf(S.checkOwnEnvelope(b64ToBlob(tampered), mine)),
                truncated: await codeOf(S.checkOwnEnvelope(b64ToBlob(sealed.slice(0, 4000)), mine)),
                plain: await codeOf(S.checkOwnEnvelope(new Blob(["%PDF-1.7 not sealed"]), mine)),
                appended: await codeOf(S.checkOwnEnvelope(new Blob([b64ToBlob(sealed), "!"]), mine)),
                badSignature: await codeOf(S.checkOwnEnvelope(b64ToBlob(badSignature), mine)),
                otherBidder: await codeOf(S.checkOwnEnvelope(b64ToBlob(sealed), theirs)),
                wrongPassphrase: await codeOf(S.importKeyFile(own, { passphrase: "nope" })),
                noPassphrase: await codeOf(S.importKeyFile(own)),
            };
        }""",
        {
            "own": (tmp_path / "key.json").read_text(),
            "other": keys.dump_key_file(other_bidder).decode(),
            "sealed": sealed,
            "tampered": base64.b64encode(bytes(data)).decode(),
            "badSignature": base64.b64encode(sealed_bytes[:-1] + bytes([sealed_bytes[-1] ^ 1])).decode(),
        },
    )
    assert codes == {
        "tampered": "corrupt_chunk",
        "truncated": "truncated",
        "plain": "bad_magic",
        "appended": "bad_size",
        "badSignature": "bad_signature",
        "otherBidder": "wrong_signing_key",
        "wrongPassphrase": "wrong_passphrase",
        "noPassphrase": "passphrase_required",
    }


def test_the_vectors_open_in_the_browser(page, vectors):
    for vector in vectors["vectors"]:
        opened = page.evaluate(
            """async ({ keyFile, passphrase, sealed, openingPkcs8 }) => {
                const keys = await S.importKeyFile(keyFile, { passphrase });
                const opening = await S.importOpeningPrivateKey(S.fromBase64(openingPkcs8));
                return [await openAndDigest(sealed, keys, "bidder"), await codeOf(S.openEnvelope(b64ToBlob(sealed), opening, { which: "opening" }))];
            }""",
            {
                "keyFile": json.dumps(vectors["keys"]["bidder_key_file_protected"]),
                "passphrase": vectors["keys"]["passphrase"],
                "sealed": vector["envelope"],
                "openingPkcs8": vectors["keys"]["opening_private_key_pkcs8"],
            },
        )
        by_bidder, by_opening = opened
        assert canonical_json(by_bidder["header"]).decode() == vector["header"]
        assert by_bidder["manifest"]["bid_letter"] == vector["input"]["bid_letter"]
        assert by_bidder["digests"] == {f["name"]: sha(base64.b64decode(f["data"])) for f in vector["input"]["files"]}
        assert by_opening == "ok"


def test_custodian_shares_from_python_decrypt_in_the_browser(page, custodians):
    browser_custodian = page.evaluate(
        """async () => {
            const keys = await S.generateCustodianKeys();
            window.browserCustodian = keys;
            return { pem: keys.encryption.pem, keyFile: await S.exportKeyFile(keys, { passphrase: "保管人" }) };
        }"""
    )
    # The browser's key file works in Python too.
    assert keys.fingerprint(keys.load_key_file(browser_custodian["keyFile"].encode(), "保管人").encryption) == (
        keys.fingerprint(browser_custodian["pem"])
    )
    python_custodian = custodians[0]
    record = ceremony.create_opening_key(
        [browser_custodian["pem"], python_custodian.encryption.public_key(), custodians[1].encryption], 2, "T-5"
    )
    decrypted = page.evaluate(
        """async ({ first, second, keyFile }) => {
            const imported = await S.importKeyFile(keyFile, { passphrase: "保管人 2" });
            return [await S.decryptShare(browserCustodian, first), await S.decryptShare(imported, S.fromBase64(second)),
                    await codeOf(S.decryptShare(imported, first))];
        }""",
        {
            "first": base64.b64encode(record.shares[0].encrypted_share).decode(),
            "second": base64.b64encode(record.shares[1].encrypted_share).decode(),
            "keyFile": keys.dump_key_file(python_custodian, "保管人 2").decode(),
        },
    )
    first, second, wrong = decrypted
    assert wrong == "wrong_shares"
    assert (
        second["share"]
        == base64.b64encode(
            ceremony.decrypt_share(record.shares[1].encrypted_share, python_custodian.encryption)
        ).decode()
    )
    for got, stored in ((first, record.shares[0]), (second, record.shares[1])):
        assert got["index"] == stored.index and got["hash"] == stored.share_hash
    shares = [base64.b64decode(first["share"]), base64.b64decode(second["share"])]
    assert keys.fingerprint(ceremony.recover_opening_key(record, shares)) == record.fingerprint


def test_the_negative_vectors_give_the_same_codes_in_the_browser(page, vectors):
    negative = json.loads((ROOT / "docs" / "sealed-bid-negative-vectors.json").read_text(encoding="utf-8"))
    got = page.evaluate(
        """async ({ keyFile, openingPkcs8, envelopes, keyFiles }) => {
            const keys = await S.importKeyFile(keyFile);
            const opening = await S.importOpeningPrivateKey(S.fromBase64(openingPkcs8));
            const signingFingerprint = keys.signing.fingerprint;
            const out = { envelopes: [], keyFiles: [] };
            for (const v of envelopes) {
                const blob = b64ToBlob(v.envelope);
                out.envelopes.push({
                    open_opening: await codeOf(S.openEnvelope(blob, opening, { which: "opening", signingFingerprint })),
                    open_bidder: await codeOf(S.checkOwnEnvelope(blob, keys)),
                });
            }
            for (const v of keyFiles) {
                out.keyFiles.push(await codeOf(S.importKeyFile(v.key_file, { passphrase: v.passphrase, kind: v.kind })));
            }
            return out;
        }""",
        {
            "keyFile": json.dumps(vectors["keys"]["bidder_key_file"]),
            "openingPkcs8": vectors["keys"]["opening_private_key_pkcs8"],
            "envelopes": negative["envelopes"],
            "keyFiles": negative["key_files"],
        },
    )
    for vector, codes in zip(negative["envelopes"], got["envelopes"], strict=True):
        expected = {way: vector["expect"][way] for way in ("open_opening", "open_bidder")}
        assert codes == expected, vector["name"]
    for vector, code in zip(negative["key_files"], got["keyFiles"], strict=True):
        assert code == vector["expect"], vector["name"]


def test_a_refused_key_file_says_what_file_it_is(page, bidder, custodians, vectors):
    given = page.evaluate(
        """async ({ bidderFile, custodianFile, sealed }) => {
            const given = async (text, options) => {
                try { await S.importKeyFile(text, options); return "ok"; } catch (e) { return `${e.code}/${e.given}`; }
            };
            return {
                bidderAsCustodian: await given(bidderFile, { kind: "custodian" }),
                custodianAsBidder: await given(custodianFile, { kind: "bidder" }),
                envelope: await given(sealed, { kind: "bidder" }),
                pem: await given("-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----\\n", {}),
                custodianNoPassphrase: await given(custodianFile, { kind: "custodian" }),
            };
        }""",
        {
            "bidderFile": keys.dump_key_file(bidder, "口令").decode(),
            "custodianFile": keys.dump_key_file(custodians[0], "口令").decode(),
            "sealed": base64.b64decode(vectors["vectors"][0]["envelope"])[:200].decode("utf-8", "replace"),
        },
    )
    assert given == {
        "bidderAsCustodian": "wrong_key_kind/bidder_key",
        "custodianAsBidder": "wrong_key_kind/custodian_key",
        "envelope": "bad_key_file/envelope",
        "pem": "bad_key_file/pem",
        "custodianNoPassphrase": "passphrase_required/custodian_key",
    }


def test_tender_id_length_counts_utf8_bytes_in_the_browser_too(page, opening_key, bidder):
    codes = page.evaluate(
        """async ({ pem, keyFile }) => {
            const keys = await S.importKeyFile(keyFile);
            const seal = (tenderId) => S.sealBidToBlob({ bidLetter: {}, files: [], tenderId, openingKeyPem: pem,
                                                         bidderKeys: keys });
            return [await codeOf(seal("标".repeat(66))), await codeOf(seal("标".repeat(67))),
                    await codeOf(seal("\\u{1F600}".repeat(50))), await codeOf(seal("\\u{1F600}".repeat(51)))];
        }""",
        {"pem": keys.public_pem(opening_key), "keyFile": keys.dump_key_file(bidder).decode()},
    )
    assert codes == ["ok", "TypeError: tenderId is 1 to 200 bytes of UTF-8", "ok",
                     "TypeError: tenderId is 1 to 200 bytes of UTF-8"]


# Seals in the page with `Worker` as the test sets it: counts the workers started (WORKERS), or makes
# them fail to load (BROKEN), or removes them (NONE). Returns the envelope, the progress and the count.
SEAL_WITH = """async ({ pem, keyFile, mode, workers }) => {
    const Real = window.Worker;
    let started = 0;
    if (mode === "WORKERS") window.Worker = class extends Real { constructor(...a) { super(...a); started++; } };
    if (mode === "BROKEN") window.Worker = class extends Real { constructor(u, o) { super("/no-such-worker.js", o); } };
    if (mode === "NONE") delete window.Worker;
    try {
        const keys = await S.importKeyFile(keyFile);
        const data = new Uint8Array(300 * 1024 + 77);
        crypto.getRandomValues(data.subarray(0, 65536));
        for (let i = 65536; i < data.length; i++) data[i] = i % 251;
        const files = [new File([data], "a.bin"), { name: "b.txt", data: new Uint8Array(5).fill(98) },
                       { name: "empty", data: new Uint8Array(0) }];
        const progress = [];
        const sealed = await S.sealBid({ bidLetter: { price_fen: 7 }, files, tenderId: "T-w", openingKeyPem: pem,
            bidderKeys: keys, chunkSize: 16 * 1024, workers,
            onProgress: (p) => progress.push([p.chunk, p.done, p.bytesPerSecond > 0]) });
        const pieces = [];
        for await (const piece of sealed.pieces()) pieces.push(piece);
        return { envelope: await blobToB64(new Blob(pieces)), progress, started, dataSha: await S.sha256Hex(data) };
    } finally {
        window.Worker = Real;
    }
}"""


@pytest.mark.parametrize(("mode", "workers", "started"), [("WORKERS", 3, 3), ("WORKERS", None, None),
                                                          ("BROKEN", 2, 0), ("NONE", None, 0), ("WORKERS", 0, 0)])
def test_a_bid_sealed_by_web_workers_or_without_them_opens_in_python(page, opening_key, bidder, mode, workers,
                                                                     started):
    result = page.evaluate(SEAL_WITH, {"pem": keys.public_pem(opening_key), "mode": mode, "workers": workers,
                                       "keyFile": keys.dump_key_file(bidder).decode()})
    if started is None:  # the default: one per core, at most 4
        cores = page.evaluate("() => navigator.hardwareConcurrency")
        started = min(cores or 2, 4)
    assert result["started"] == started
    data = base64.b64decode(result["envelope"])
    header = envelope.check_structure(io.BytesIO(data), bidder.signing, expected_tender_id="T-w").header
    count = header["chunk_count"]
    assert count == envelope.chunk_count(header["plaintext_size"], 16 * 1024) == 19
    assert result["progress"] == [
        [i + 1, min((i + 1) * 16 * 1024, header["plaintext_size"]), True] for i in range(count)
    ]
    for key, which in ((opening_key, "opening"), (bidder.encryption, "bidder")):
        opened = envelope.open_envelope(io.BytesIO(data), key, which, expected_signing_public_key=bidder.signing)
        contents = {entry["name"]: stream.read() for entry, stream in opened.files()}
        assert opened.verified and opened.bid_letter == {"price_fen": 7}
        assert sha(contents["a.bin"]) == result["dataSha"]
        assert contents["b.txt"] == b"bbbbb" and contents["empty"] == b""

