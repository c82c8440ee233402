"""The bytes going out: an envelope sent part by part from any offset, each part's SHA-256 in its
header, the whole file's SHA-256 computed on the way, and a progress line per part."""

import hashlib
import time

from .api import Refused, Transient, backoff
from .common import HASH_BLOCK, CliError, human, say, write_json_atomically


def _read_exactly(f, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise CliError("the envelope file changed while it was being sent (it is shorter now)")
    return data


class FileHash:
    """SHA-256 of the envelope file, fed in order as its bytes go out; catches up from disk on resume."""

    def __init__(self, f, size):
        self.f, self.size, self.upto, self.hash = f, size, 0, hashlib.sha256()

    def feed(self, offset: int, data: bytes):
        """`data` is the file's bytes at `offset`; hash the part beyond what is hashed already."""
        self.catch_up(offset)
        if offset <= self.upto < offset + len(data):
            self.hash.update(memoryview(data)[self.upto - offset :])
            self.upto = offset + len(data)

    def catch_up(self, offset: int):
        if self.upto >= offset:
            return
        here = self.f.tell()
        self.f.seek(self.upto)
        while self.upto < offset:
            block = _read_exactly(self.f, min(HASH_BLOCK, offset - self.upto))
            self.hash.update(block)
            self.upto += len(block)
        self.f.seek(here)

    def hexdigest(self) -> str:
        self.catch_up(self.size)
        return self.hash.hexdigest()


class _UploadProgress:
    """One line per part: bytes, percentage, rate of this run, time left."""

    def __init__(self, size: int, part_size: int, start: int):
        self.size, self.part_size, self.start, self.t0 = size, part_size, start, time.monotonic()
        self.parts = -(-size // part_size)

    def __call__(self, received: int):
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        rate = (received - self.start) / elapsed
        eta = (self.size - received) / rate if rate > 0 else 0
        say(
            f"  part {-(-received // self.part_size)}/{self.parts}  {human(received)} of {human(self.size)}"
            f"  {received * 100 // self.size}%  {rate / 1e6:.1f} MB/s  ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        )


def send_parts(platform, upload_id, f, size, received, part_size, whole, state, spath, on_part) -> int:
    """Send the envelope `f` from offset `received` in parts of `part_size`, feeding `whole` (FileHash)
    and saving the offset in `state` (written to `spath`) after each part; a lost answer or a damaged
    part is retried from what the platform says it holds. Returns the bytes received."""
    progress = _UploadProgress(size, part_size, received)
    failures = 0
    while received < size:
        n = min(part_size, size - received)
        f.seek(received)
        data = _read_exactly(f, n)  # one part in memory at most, whatever the size of the bid
        whole.feed(received, data)
        try:
            status, body = platform.request(
                "PUT",
                f"/api/uploads/{upload_id}/parts/?offset={received}",
                data=data,
                headers={"Content-Type": "application/octet-stream", "X-Part-SHA256": hashlib.sha256(data).hexdigest()},
            )
            if status == 200:
                received, failures = body["received"], 0
                state["received"] = received
                write_json_atomically(spath, state)
                progress(received)
                if on_part is not None:
                    on_part(received)
                continue
            code = body.get("code")
            if status == 409 and code == "offset_mismatch":  # a part we thought lost had arrived, or the reverse
                say(f"  the platform holds {body['received']} bytes, not {received}: continuing from there")
                received = body["received"]
                continue
            if code not in ("part_sha256_mismatch", "incomplete_part"):
                raise Refused(status, body)
            raise Transient(f"{code} at offset {received}")
        except Transient as exc:
            failures += 1
            backoff(failures, exc)  # or give up after RETRIES
            # The answer was lost, not necessarily the part: ask how much the platform holds.
            received = received_of(platform, upload_id)
    return received


def received_of(platform, upload_id) -> int:
    return platform.call("GET", f"/api/uploads/{upload_id}/")["received"]
