import pytest
from django.core import checks

from records import fonts
from records.checks import pdf_font_check
from records.render import LedgerAnchor, render, to_jsonable
from records.render.samples import sample_bid_receipt

ANCHOR = LedgerAnchor(1, "0" * 64)


def test_a_missing_font_is_a_startup_warning(settings):
    settings.PDF_FONT_PATH = "/nonexistent/fonts/wqy-microhei.ttc"

    messages = pdf_font_check(None)

    assert [m.id for m in messages] == ["records.W001"]
    assert messages[0].level == checks.WARNING
    assert "/nonexistent/fonts/wqy-microhei.ttc does not exist" in messages[0].msg
    assert "fonts-wqy-microhei" in messages[0].hint


def test_no_warning_when_the_font_is_there():
    assert pdf_font_check(None) == []
    # Registered from RecordsConfig.ready, so manage.py check and runserver report it.
    assert pdf_font_check in checks.registry.registry.get_checks()


def test_rendering_without_the_font_is_a_clear_error(settings):
    settings.PDF_FONT_PATH = "/nonexistent/fonts/wqy-microhei.ttc"

    with pytest.raises(fonts.FontUnavailable) as exc:
        render("bid_receipt", sample_bid_receipt(), anchor=ANCHOR)

    assert exc.value.code == "pdf_font_missing"
    assert "/nonexistent/fonts/wqy-microhei.ttc" in str(exc.value.message)


def test_a_character_the_font_cannot_draw_is_refused_not_drawn_as_a_box():
    # 𠀀 (U+20000, CJK extension B) is not in WenQuanYi Micro Hei.
    receipt = sample_bid_receipt()
    data = {**to_jsonable(receipt), "bidder_name": "巴中市𠀀建设有限公司"}

    with pytest.raises(fonts.FontUnavailable) as exc:
        render("bid_receipt", data, anchor=ANCHOR)

    assert exc.value.code == "pdf_glyph_missing"
    assert "𠀀" in str(exc.value.message)


def test_the_stamp_font_is_extracted_from_the_collection_once(settings, tmp_path):
    settings.RECORDS_FONT_CACHE_DIR = tmp_path

    first = fonts.extracted_ttf()
    mtime = first.stat().st_mtime_ns
    again = fonts.extracted_ttf()

    assert again == first and first.parent == tmp_path and first.suffix == ".ttf"
    assert again.stat().st_mtime_ns == mtime
    assert first.read_bytes()[:4] == b"\x00\x01\x00\x00"  # a single TrueType font, not a collection


def test_rendering_is_a_pure_function_of_the_data():
    first = render("bid_receipt", sample_bid_receipt(), anchor=ANCHOR)
    again = render("bid_receipt", sample_bid_receipt(), anchor=ANCHOR)
    other_anchor = render("bid_receipt", sample_bid_receipt(), anchor=LedgerAnchor(2, "1" * 64))

    assert first.pdf == again.pdf
    assert first.pdf != other_anchor.pdf
