"""The Simplified Chinese catalog is the UI's default language: every message in it is translated."""

import subprocess
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _msgids(*flags):
    out = subprocess.run(["msgattrib", *flags, "--no-obsolete", str(CATALOG)],
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


def test_every_message_of_the_chinese_catalog_is_translated():
    assert _msgids("--untranslated") == []


def test_no_translation_is_left_fuzzy():
    assert _msgids("--only-fuzzy") == []
