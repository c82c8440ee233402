"""A key custodian in the opening hall who chooses the wrong file is told, in Chinese, what the file is
(issue 9 item 19), and nothing is released."""

import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sealedbid.keys import CustodianKeys, dump_key_file
from tests.e2e.conftest import BrowserTestCase
from tests.e2e.test_opening import scene_past_its_deadline
from trading.models import TenderCustodian

pytestmark = pytest.mark.e2e


class TestCustodianKeyErrors(BrowserTestCase):
    def write(self, name, data):
        directory = Path(tempfile.mkdtemp(prefix="e2e-custodian-"))
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        (directory / name).write_bytes(data)
        return str(directory / name)

    def test_a_custodian_is_told_which_file_they_gave(self):
        scene = self.call(scene_past_its_deadline)
        custodian, other = scene.custodians[0], scene.custodians[1]
        page = self.new_page()
        self.sign_in(page, custodian)
        page.goto(f"/tenders/{scene.tender.pk}/opening/")
        expect(page.locator("#hall-custodian-panel")).to_be_visible()
        alert = page.locator("#hall-alert")
        cases = [
            (self.write("bidder-key.json", dump_key_file(scene.bidders[0].keys)),
             "这是投标人密钥文件，不是保管人密钥文件。"),
            (self.write("other.json", dump_key_file(CustodianKeys(encryption=other.private_key))),
             "您的开标密钥份额不是加密给此保管人密钥文件中的密钥的：请选择您作为保管人登记的密钥文件。"),
            (self.write("mine.json", dump_key_file(CustodianKeys(encryption=custodian.private_key), "口令")),
             "这个保管人密钥文件设有口令，请输入口令。"),
        ]
        for key_file, shown in cases:
            page.locator("#hall-key-file").set_input_files(key_file)
            page.get_by_role("button", name="提交我的密钥分片", exact=True).click()
            expect(alert).to_contain_text(shown)
            expect(alert).not_to_contain_text("wrong_")
        assert not TenderCustodian.objects.filter(tender=scene.tender, released_at__isnull=False).exists()
