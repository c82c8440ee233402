import io
import subprocess

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter


def read(record):
    with record.file.open("rb") as fh:
        return fh.read()


def flip_byte_in_first_revision(pdf: bytes) -> bytes:
    """Change one byte inside a content stream of the first (signed) revision; lengths and
    offsets stay as they were, so the file still parses."""
    end_of_first = pdf.index(b"%%EOF")
    at = pdf.index(b"stream", 0, end_of_first) + len(b"stream") + 20
    assert at < end_of_first
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:]


def append_drawing(pdf: bytes) -> bytes:
    """An incremental update after the last signature that draws on page 1."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    ref = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f"))
    writer.add_stream_to_page(0, ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def run(*args, data=None):
    return subprocess.run(args, input=data, capture_output=True, check=False)
