"""A bidder makes its keys in the browser, then seals a bid on its own machine and uploads it in parts,
checks what the platform holds and withdraws it; an upload survives a lost part and a reload. In a real browser
against the live ASGI server."""

import hashlib
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect

from accounts.models import PublicKey
from records.pki import platform_certificates
from sealedbid.envelope import open_envelope
from sealedbid.keys import dump_key_file, fingerprint, load_key_file
from tests.e2e.conftest import BrowserTestCase
from tests.factories import make_tender, make_user, rsa_key
from tests.trading.bidding import bidder_with_keys
from trading import bidstore
from trading.models import Bid, BidUpload
from trading.receipts import verify_receipt

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
PASSPHRASE = "巴中 投标 2025 passphrase"
LETTER = {"price": "9876543.21", "duration_days": "365", "quality": "合格", "validity_days": "90"}
SEALED_LETTER = {"price": 987_654_321, "duration_days": 365, "quality": "合格", "validity_days": 90}
SLOW_MS = 90_000  # sealing and uploading megabytes on a busy 2-core machine


def custodian_keys():
    """A custodian's key file's keys (RSA-3072 made by OpenSSL: pycryptodome's generator takes seconds)."""
    from sealedbid.keys import CustodianKeys

    return CustodianKeys(encryption=rsa_key("e2e-custodian-file"))


def published_tender():
    owner, staff = make_user("tenderer", "511921"), make_user("staff", "511921")
    return make_tender(owner, "511921", publish_by=staff)


def opened(bid, keys):
    """The stored envelope opened with the bidder's own key: (bid letter, {file name: bytes}); every chunk
    and the bidder's signature are checked on the way."""
    files = {}
    with bidstore.open_file(bid.envelope) as f:
        envelope = open_envelope(f, keys.encryption, which="bidder")
        for entry, stream in envelope.files():  # ends with the signature check
            files[entry["name"]] = stream.read()
        assert envelope.verified
        return envelope.bid_letter, files


def stored_sha256(bid):
    with bidstore.open_file(bid.envelope) as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class TestBidding(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.files_dir = Path(tempfile.mkdtemp(prefix="e2e-bid-files-"))
        self.addCleanup(shutil.rmtree, self.files_dir, ignore_errors=True)

    def write(self, name, data):
        path = self.files_dir / name
        path.write_bytes(data)
        return str(path)

    def fill_bid(self, page, files, key_file, passphrase=""):
        for key, value in LETTER.items():
            page.locator(f"#letter-{key}").fill(value)
        page.locator("#bid-files").set_input_files(files)
        page.locator("#bid-key-file").set_input_files(key_file)
        page.locator("#bid-passphrase").fill(passphrase)

    def seal_and_upload(self, page):
        """Clicks 在本机加密并上传; returns the receipt number once the page says the bid is received."""
        page.get_by_role("button", name="在本机加密并上传", exact=True).click()
        status = page.locator("#bid-status")
        expect(status).to_contain_text("投标文件已接收", timeout=SLOW_MS)
        receipt_no = re.search(r"回执编号:\s*(\S+)", status.inner_text()).group(1)
        # Read before the page reloads itself (2.5 s later).
        expect(page.locator("#bid-progress-bar")).to_have_attribute("aria-valuenow", "100")
        assert page.locator("#bid-progress").evaluate("node => node.style.width") == "100%"
        return receipt_no

    def bid_row(self, page, receipt_no):
        return page.locator("#bid-panel tbody tr", has_text=receipt_no)

    def test_a_bidder_makes_keys_seals_and_uploads_checks_and_withdraws_its_bid(self):
        tender = self.call(published_tender)
        bidder = self.call(make_user, "bidder", "511900")
        assert not PublicKey.objects.filter(organization=bidder.organization).exists()

        # --- keys, made in the browser: only the public halves reach the platform -------------------------
        page = self.new_page()
        self.sign_in(page, bidder)
        page.goto("/accounts/security/")
        expect(page.locator("h1")).to_have_text("密钥与令牌")
        expect(page.locator("main")).to_contain_text("尚未登记密钥")
        page.locator("#key-passphrase").fill(PASSPHRASE)
        with page.expect_download(timeout=SLOW_MS) as info:
            page.get_by_role("button", name="生成密钥并下载密钥文件", exact=True).click()
        download = info.value
        key_file = Path(download.path()).read_bytes()
        assert download.suggested_filename == f"bidder-key-{bidder.username}.json"
        assert b'"private"' not in key_file  # protected by the passphrase
        keys = load_key_file(key_file, PASSPHRASE)
        expected = {"bid_signing": fingerprint(keys.signing), "bid_encryption": fingerprint(keys.encryption)}
        # The page reloads itself once the keys are registered, and lists them.
        for shown in expected.values():
            expect(page.locator("td.mono", has_text=shown)).to_have_count(1, timeout=SLOW_MS)
        registered = PublicKey.objects.filter(organization=bidder.organization, revoked_at__isnull=True)
        assert dict(registered.values_list("purpose", "fingerprint")) == expected

        # --- the bid: sealed on this machine, uploaded in parts, a signed receipt back -------------------
        technical = os.urandom(3 * MiB + 12_345)  # several 1 MiB chunks
        commercial = "商务标:投标报价 9876543.21 元\n".encode() * 200
        files = [self.write("技术标.pdf", technical), self.write("商务标.pdf", commercial)]
        key_path = self.write("bidder-key.json", key_file)
        page.goto(f"/tenders/{tender.pk}/")
        expect(page.locator("#bid-panel")).to_contain_text("暂无投标")
        self.fill_bid(page, files, key_path, PASSPHRASE)
        receipt_no = self.seal_and_upload(page)
        expect(self.bid_row(page, receipt_no)).to_contain_text("已提交")  # after the page reloaded itself

        bid = Bid.objects.get(organization=bidder.organization)
        assert (bid.tender_id, bid.status, bid.receipt_no) == (tender.pk, "submitted", receipt_no)
        assert bid.sha256 == stored_sha256(bid)
        letter, plain = opened(bid, keys)
        assert letter == SEALED_LETTER
        assert plain == {"技术标.pdf": technical, "商务标.pdf": commercial}
        ca, seal = platform_certificates()
        receipt = verify_receipt(bid.receipt, bid.receipt_signature, seal.public_bytes(serialization.Encoding.PEM),
                                 ca.public_bytes(serialization.Encoding.PEM))
        assert (receipt["receipt_no"], receipt["tender"], receipt["envelope_sha256"], receipt["size"]) == (
            receipt_no, tender.code, bid.sha256, bid.size)
        assert receipt["credit_code"] == bidder.organization.credit_code

        # --- the self-check: the browser downloads what the platform holds and opens it -------------------
        page.locator("#bid-key-file").set_input_files(key_path)
        page.locator("#bid-passphrase").fill(PASSPHRASE)
        self.bid_row(page, receipt_no).get_by_role("button", name="自检", exact=True).click()
        check = page.locator(f"#check-{bid.pk}")
        expect(check).to_contain_text("平台保存的投标文件完好", timeout=SLOW_MS)
        # The letter as the bid form showed it: the form's labels, the price in yuan, not raw JSON in fen.
        assert check.locator("dt").all_inner_texts() == [
            "投标报价(元)", "工期(日历天)", "质量标准", "投标有效期(日)", "投标文件"]
        assert check.locator("dd").all_inner_texts() == ["¥9,876,543.21", "365", "合格", "90", "技术标.pdf、商务标.pdf"]
        expect(check).not_to_contain_text("987654321")

        # --- and the withdrawal -----------------------------------------------------------------------------
        page.once("dialog", lambda dialog: dialog.accept())
        self.bid_row(page, receipt_no).get_by_role("button", name="撤回", exact=True).click()
        expect(self.bid_row(page, receipt_no)).to_contain_text("已撤回")
        bid.refresh_from_db()
        assert bid.status == "withdrawn"
        assert bid.withdrawn_at is not None
        expect(self.bid_row(page, receipt_no).get_by_role("button")).to_have_count(0)

    def test_crypto_errors_are_in_chinese_and_name_the_file_given(self):
        tender = self.call(published_tender)
        bidder = self.call(bidder_with_keys, "511900")
        keys = bidder.keys
        custodian_file = self.write("custodian-key.json", dump_key_file(self.call(custodian_keys), PASSPHRASE))
        own_file = self.write("bidder-key.json", dump_key_file(keys, PASSPHRASE))
        envelope_file = self.write("bid.sealed", b"sealed-bid/1\n" + bytes(100))
        page = self.new_page()
        self.sign_in(page, bidder)
        page.goto(f"/tenders/{tender.pk}/")
        status = page.locator("#bid-status")
        cases = [
            (custodian_file, PASSPHRASE, "失败: 这是保管人密钥文件，不是投标人密钥文件。"),
            (envelope_file, "", "失败: 这是密封的投标文件，不是密钥文件。请选择生成密钥时下载的密钥文件（.json）。"),
            (own_file, "", "失败: 这个投标人密钥文件设有口令，请输入口令。"),
            (own_file, "not it", "失败: 口令错误：不是这个投标人密钥文件的口令（或文件已损坏）。"),
        ]
        for key_file, passphrase, shown in cases:
            self.fill_bid(page, [self.write("a.pdf", b"%PDF")], key_file, passphrase)
            page.get_by_role("button", name="在本机加密并上传", exact=True).click()
            expect(status).to_have_text(shown, timeout=SLOW_MS)
        assert not BidUpload.objects.exists()

        # The keys page: a bidder registering a custodian's key file is told what the file is.
        page.goto("/accounts/security/")
        page.locator("#key-passphrase").fill(PASSPHRASE)
        page.locator("#register-file").set_input_files(custodian_file)
        expect(page.locator("#keys-status")).to_contain_text("这是保管人密钥文件，不是投标人密钥文件。")
        assert PublicKey.objects.filter(organization=bidder.organization).count() == 2  # nothing registered

    def test_an_upload_resumes_from_what_the_server_holds_after_network_failures(self):
        tender = self.call(published_tender)
        bidder = self.call(bidder_with_keys)
        # A key file made by the command-line tool's code: the page reads it as its own.
        key_path = self.write("bidder-key.json", dump_key_file(bidder.keys))
        body = os.urandom(17 * MiB)  # with 8 MiB parts: three parts
        files = [self.write("投标文件.zip", body)]

        page = self.new_page()
        self.sign_in(page, bidder)
        page.goto(f"/tenders/{tender.pk}/")
        attempts = Counter()

        def flaky_network(route):
            offset = int(parse_qs(urlsplit(route.request.url).query)["offset"][0])
            attempts[offset] += 1
            part = sorted(attempts).index(offset) + 1
            if part == 2 and attempts[offset] == 1:
                route.abort("connectionreset")  # lost on the way: the server never sees it
            elif part == 3 and attempts[offset] == 1:
                response = route.fetch()  # the server keeps it, but the answer is lost
                assert response.status == 200, response.text()
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/uploads/*/parts/*", flaky_network)
        self.fill_bid(page, files, key_path)
        receipt_no = self.seal_and_upload(page)

        # Parts of exactly part_size (8 MiB). Part 2 was sent again from the offset the server held;
        # part 3 was not: the page asked, and the server had it.
        assert attempts == {0: 1, 8 * MiB: 2, 16 * MiB: 1}
        bid = Bid.objects.get(organization=bidder.organization)
        assert (bid.status, bid.receipt_no) == ("submitted", receipt_no)
        upload = BidUpload.objects.get(pk=bid.upload_id)
        assert upload.received == upload.declared_size == bid.size
        assert bid.sha256 == stored_sha256(bid)
        letter, plain = opened(bid, bidder.keys)
        assert letter == SEALED_LETTER
        assert plain == {"投标文件.zip": body}

    def test_an_upload_cut_off_by_a_reload_continues_from_the_envelope_kept_on_this_computer(self):
        """Sealing is randomized: only the very bytes the platform began to receive can be resumed. The page
        keeps them on the bidder's computer (the origin private file system) until finalize."""
        tender = self.call(published_tender)
        bidder = self.call(bidder_with_keys)
        key_path = self.write("bidder-key.json", dump_key_file(bidder.keys))
        body = os.urandom(17 * MiB)  # with 8 MiB parts: three parts
        page = self.new_page()
        self.sign_in(page, bidder)
        page.goto(f"/tenders/{tender.pk}/")
        offsets = []

        def network_gone_after_the_first_part(route):
            offset = int(parse_qs(urlsplit(route.request.url).query)["offset"][0])
            offsets.append(offset)
            if offset == 0:
                route.continue_()
            else:
                route.abort("internetdisconnected")

        page.route("**/api/uploads/*/parts/*", network_gone_after_the_first_part)
        self.fill_bid(page, [self.write("投标文件.zip", body)], key_path)
        page.get_by_role("button", name="在本机加密并上传", exact=True).click()
        expect(page.locator("#bid-status")).to_contain_text("网络错误", timeout=SLOW_MS)
        upload = BidUpload.objects.get()
        assert upload.received == 8 * MiB and not Bid.objects.exists()

        # The tab is reloaded (or the browser restarted) in the middle of it: no key file, no files chosen.
        page.unroute("**/api/uploads/*/parts/*")
        page.route("**/api/uploads/*/parts/*", network_gone_after_the_first_part)  # counts; offset 0 would pass
        page.reload()
        resume = page.locator("#bid-resume")
        expect(resume).to_be_visible()
        expect(resume).to_contain_text("本机保存有一份未上传完的已加密投标文件。平台已收到 8.0 / 17.0 MB")
        page.unroute("**/api/uploads/*/parts/*")
        offsets.clear()
        page.route("**/api/uploads/*/parts/*", lambda route: (offsets.append(
            int(parse_qs(urlsplit(route.request.url).query)["offset"][0])), route.continue_()))
        resume.get_by_role("button", name="继续上传").click()
        status = page.locator("#bid-status")
        expect(status).to_contain_text("投标文件已接收", timeout=SLOW_MS)
        receipt_no = re.search(r"回执编号:\s*(\S+)", status.inner_text()).group(1)

        assert offsets == [8 * MiB, 16 * MiB]  # what the platform held was not sent again
        bid = Bid.objects.get()
        assert (bid.status, bid.receipt_no, bid.upload_id) == ("submitted", receipt_no, upload.pk)
        assert bid.sha256 == stored_sha256(bid)
        letter, plain = opened(bid, bidder.keys)
        assert letter == SEALED_LETTER and plain == {"投标文件.zip": body}
        # Nothing is left on the bidder's computer once the platform has the bid.
        assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('bz-pending-upload:'))") == []
        assert page.evaluate("""async () => {
            const names = [];
            for await (const name of (await navigator.storage.getDirectory()).keys()) names.push(name);
            return names;
        }""") == []

    def test_an_unfinished_upload_kept_on_this_computer_can_be_discarded(self):
        tender = self.call(published_tender)
        bidder = self.call(bidder_with_keys)
        page = self.new_page()
        self.sign_in(page, bidder)
        page.goto(f"/tenders/{tender.pk}/")
        page.route("**/api/uploads/*/parts/*", lambda route: route.abort("internetdisconnected"))
        self.fill_bid(page, [self.write("技术标.pdf", os.urandom(MiB))],
                      self.write("bidder-key.json", dump_key_file(bidder.keys)))
        page.get_by_role("button", name="在本机加密并上传", exact=True).click()
        expect(page.locator("#bid-status")).to_contain_text("网络错误", timeout=SLOW_MS)

        page.unroute("**/api/uploads/*/parts/*")
        page.reload()
        resume = page.locator("#bid-resume")
        expect(resume).to_contain_text("平台已收到 0.0 / 1.0 MB")
        resume.get_by_role("button", name="放弃").click()
        expect(page.locator("#bid-status")).to_have_text("已放弃未完成的上传。")
        expect(resume).to_be_hidden()
        assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('bz-pending-upload:'))") == []
        page.reload()
        expect(page.locator("#bid-panel")).to_be_visible()
        expect(resume).to_be_hidden()
        assert not Bid.objects.exists()
