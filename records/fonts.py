"""The one CJK font of every record, for reportlab (page text) and pyHanko (signature stamps).

reportlab reads a TrueType collection (.ttc) directly; pyHanko's OpenType engine needs a plain
.ttf, so subfont 0 is extracted once into VAR_DIR/fonts. A missing font is an error, never a
fallback: a record with boxes instead of Chinese characters would be worse than no record.
"""

import hashlib
import io
import logging
import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

# fontTools logs every step of every subset at INFO; that is noise in the platform's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_NAME = "BZ-CJK"
SUBFONT_INDEX = 0
_lock = threading.Lock()
_registered = {}


class FontUnavailable(DomainError):
    def __init__(self, message, code="pdf_font_missing"):
        super().__init__(code, message)


def font_path() -> Path:
    return Path(settings.PDF_FONT_PATH)


def font_problem():
    """None when the configured font can be used, else a sentence saying what is wrong (for the check)."""
    path = font_path()
    if not path.is_file():
        return f"PDF_FONT_PATH {path} does not exist"
    if not os.access(path, os.R_OK):
        return f"PDF_FONT_PATH {path} is not readable"
    return None


def _require_font() -> Path:
    if font_problem() is not None:
        raise FontUnavailable(
            _("The font for PDF records (%(path)s) is missing. Install fonts-wqy-microhei or set PDF_FONT_PATH.")
            % {"path": font_path()}
        )
    return font_path()


def reportlab_font():
    """Register the font with reportlab once per path; returns (font name, reportlab TTFont)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = _require_font()
    with _lock:
        if str(path) not in _registered:
            # A new path (settings changed) gets a new name: reportlab's registry is global.
            name = FONT_NAME if not _registered else f"{FONT_NAME}-{len(_registered)}"
            font = TTFont(name, str(path), subfontIndex=SUBFONT_INDEX)
            pdfmetrics.registerFont(font)
            pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
            _registered[str(path)] = (name, font)
        return _registered[str(path)]


def missing_glyphs(text) -> set:
    """Characters of `text` the font cannot draw (whitespace aside)."""
    _name, font = reportlab_font()
    cmap = font.face.charToGlyph
    return {ch for ch in set(text) if not ch.isspace() and ord(ch) not in cmap}


def check_glyphs(text):
    missing = missing_glyphs(text)
    if missing:
        raise FontUnavailable(
            _("The PDF font has no glyph for these characters: %(chars)s") % {"chars": " ".join(sorted(missing))},
            code="pdf_glyph_missing",
        )


def _cache_dir() -> Path:
    return Path(getattr(settings, "RECORDS_FONT_CACHE_DIR", "") or Path(settings.VAR_DIR) / "fonts")


def extracted_ttf() -> Path:
    """A single-font .ttf of the configured font (the file itself when it is not a collection)."""
    path = _require_font()
    with path.open("rb") as fh:
        if fh.read(4) != b"ttcf":
            return path
    stat = path.stat()
    # Name the cache after the source, so replacing the font file never serves a stale copy.
    tag = hashlib.sha256(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    target = _cache_dir() / f"{path.stem}-{SUBFONT_INDEX}-{tag}.ttf"
    if target.is_file():
        return target
    from fontTools.ttLib import TTCollection

    target.parent.mkdir(parents=True, exist_ok=True)
    with TTCollection(str(path)) as collection:
        # Write then rename: another process may extract at the same moment.
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as tmp:
            collection.fonts[SUBFONT_INDEX].save(tmp)
    os.replace(tmp.name, target)
    return target


@lru_cache(maxsize=32)
def _subset(source: str, chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    # Stamps are short horizontal lines: no layout, vertical metrics, or FontForge's FFTM table
    # (on which pyHanko's own subsetting warns). Fewer tables, faster subsetting.
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    # lazy: parse only the glyphs the subset keeps, not all of a 5 MB CJK font.
    with TTFont(source, lazy=True) as font:
        subsetter.subset(font)
        if font["head"].unitsPerEm != 1000:
            # pyHanko writes glyph widths into the PDF in font units where PDF wants thousandths
            # of an em: right only for 1000-unit fonts (WenQuanYi has 2048, which doubled the
            # spacing of every stamp). Rescaling the small subset is cheap.
            scale_upem(font, 1000)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


def stamp_font_bytes(text) -> bytes:
    """A small .ttf holding the glyphs of `text` and printable ASCII, for signature stamps.

    pyHanko subsets its stamp font anew for every signature; fed the whole 5 MB CJK font that costs
    close to a second per signature, fed this subset a few milliseconds. Glyph ids and units per
    em change, so the result is only for pyHanko (which shapes the text with HarfBuzz itself).
    """
    check_glyphs(text)
    chars = "".join(sorted(set(text) | {chr(c) for c in range(0x20, 0x7F)}))
    return _subset(str(extracted_ttf()), chars)
