"""The self-check's bid letter as the form showed it, and the pages' texts for every crypto error."""

import re

from django.utils import translation

from sealedbid import letter
from tests.sealing.conftest import ROOT
from trading.rules import STANDARD_BID_LETTER_FIELDS
from trading.sealing_messages import sealing_texts


def test_money_is_shown_in_yuan_with_thousands_separators():
    assert letter.yuan(1180000000) == "¥11,800,000.00"
    assert letter.yuan(5) == "¥0.05"
    assert letter.yuan(-123456) == "-¥1,234.56"


def test_the_letter_follows_the_form_then_other_members_by_key():
    fields = [{"key": "price", "label": "投标报价(元)", "type": "money"},
              {"key": "duration_days", "label": "工期(日历天)", "type": "integer"},
              {"key": "project_manager", "label": "项目负责人", "type": "text"}]
    shown = letter.letter_lines({"zz": True, "duration_days": 365, "price": 1180000000, "a": None}, fields)
    assert shown == [("投标报价(元)", "¥11,800,000.00"), ("工期(日历天)", "365"), ("a", "—"), ("zz", "是")]


def test_the_cli_knows_the_platforms_standard_bid_form():
    assert letter.STANDARD_FIELDS == STANDARD_BID_LETTER_FIELDS


def test_every_error_code_of_the_format_has_a_chinese_sentence():
    spec = (ROOT / "docs" / "sealed-bid-format.md").read_text(encoding="utf-8")
    table = spec[spec.index("## 8. Error codes"):spec.index("### 8.1")]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    codes = {code for cell in first_cells for code in re.findall(r"`([a-z_]+)`", cell)}
    assert len(codes) == 20
    with translation.override("zh-hans"):
        texts = sealing_texts()
    assert codes - {"insufficient_shares"} <= set(texts["codes"])  # the server's, never met on a page
    for code, sentence in texts["codes"].items():
        assert re.search(r"[\u4e00-\u9fff]", sentence), code
    assert texts["codes"]["wrong_key_kind"] % {"given": texts["kinds"]["bidder"],
                                               "expected": texts["kinds"]["custodian"]} == (
        "这是投标人密钥文件，不是保管人密钥文件。")
    assert texts["codes"]["wrong_passphrase"].startswith("口令错误")
