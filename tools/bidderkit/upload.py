"""submit: the resumable upload of a sealed envelope (parts, retries, resuming from what the platform
holds, finalizing), then the receipt; and status and withdraw. The upload's state is kept beside the
envelope (ENVELOPE.upload.json), so that running the same command again continues."""

import hashlib
import json
import os
import urllib.parse
import uuid
from pathlib import Path

from sealedbid import envelope

from .api import FINALIZE_TIMEOUT, Platform, Refused, Retry, platform_from
from .common import CliError, human, say, write_json_atomically
from .parts import FileHash, send_parts
from .receipts import save_receipt, verify_receipt_doc

STATE_FORMAT = "bidder-upload-state/1"


def state_path(envelope_path: Path) -> Path:
    return envelope_path.with_name(envelope_path.name + ".upload.json")


def _check_envelope_for(tender: dict, path: Path) -> tuple[dict, int]:
    """The envelope's header against what the platform publishes for the tender, before any byte is sent."""
    with path.open("rb") as f:
        info = envelope.inspect(f)
        size = os.fstat(f.fileno()).st_size
    header = info.header
    if size != info.size:
        raise CliError(f"{path} is {size} bytes but its header says {info.size}: an incomplete or damaged file")
    opening = tender.get("opening_key") or {}
    if header["tender_id"] != tender.get("code"):
        raise CliError(f"{path} is sealed for tender {header['tender_id']!r}, not {tender.get('code')!r}")
    if header["opening_key_fingerprint"] != opening.get("fingerprint"):
        raise CliError(
            f"{path} is sealed to opening key {header['opening_key_fingerprint']}, but the tender's "
            f"opening key is {opening.get('fingerprint')}: seal it again with the published key"
        )
    return header, size


def _load_state(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        say(f"ignoring {path}: unreadable")
        return None
    return state if isinstance(state, dict) and state.get("format") == STATE_FORMAT else None


def _find_bid_of_upload(platform: Platform, tender_id: int, upload_id: str) -> dict | None:
    """The bid an earlier run finalized but never heard about: its receipt names the upload."""
    path = f"/api/bids/?tender={tender_id}"
    while path:
        page = platform.call("GET", path)
        for bid in page.get("results", []):
            try:
                if json.loads(bid.get("receipt") or "{}").get("upload") == upload_id:
                    return bid
            except ValueError:
                continue
        following = page.get("next")
        path = urllib.parse.urlsplit(following)._replace(scheme="", netloc="").geturl() if following else None
        if path and platform._prefix and path.startswith(platform._prefix):
            path = path[len(platform._prefix) :]
    return None


def submit_envelope(
    platform: Platform, tender_id: int, path: Path, *, part_size: int | None = None, on_part=None
) -> dict:
    """Upload the envelope at `path` for tender `tender_id` (resuming an earlier run), finalize it,
    write and verify the receipt file. Returns the receipt file's content.

    `on_part(received)` is called after each part the platform accepted (tests use it to interrupt).
    """
    tender = platform.call("GET", f"/api/tenders/{tender_id}/")
    say(f"[1/4] tender {tender.get('code')}  {tender.get('title', '')}  deadline {tender.get('bid_deadline')}")
    header, size = _check_envelope_for(tender, path)
    say(
        f"      envelope {path.name}: {human(size)}, sealed for this tender and its opening key "
        f"{header['opening_key_fingerprint'][:16]}…"
    )
    mtime_ns = path.stat().st_mtime_ns
    spath = state_path(path)
    state = _load_state(spath)
    upload = None
    if state is not None:
        same = (state.get("server"), state.get("tender"), state.get("size"), state.get("mtime_ns")) == (
            platform.server,
            tender_id,
            size,
            mtime_ns,
        )
        if not same:
            say(f"      ignoring {spath.name}: it is for another server, tender or version of the file")
        else:
            try:
                upload = platform.call("GET", f"/api/uploads/{state['upload']}/")
            except Refused as exc:
                say(f"      the earlier upload {state['upload']} is gone ({exc.code}): starting again")
            else:
                if upload.get("status") == "finalized":
                    bid = _find_bid_of_upload(platform, tender_id, state["upload"])
                    if bid is None:
                        raise CliError(
                            f"upload {state['upload']} was finalized but its bid is not among your "
                            "organization's bids (replaced by a colleague's?); see the platform"
                        )
                    say("      an earlier run submitted this envelope already; fetching its receipt")
                    return _finish(platform, path, bid, spath)
                if upload.get("status") == "refused":
                    spath.unlink(missing_ok=True)
                    raise CliError(
                        f"the platform refused upload {state['upload']} earlier "
                        f"({upload.get('refusal_code')}); fix the cause and submit again"
                    )
    if upload is None:
        # Retried like a read: a repeat after a lost answer only leaves an empty upload behind.
        upload = platform.call("POST", "/api/uploads/", json_body={"tender": tender_id, "size": size})
        state = {
            "format": STATE_FORMAT,
            "server": platform.server,
            "tender": tender_id,
            "upload": upload["id"],
            "size": size,
            "mtime_ns": mtime_ns,
            "sha256": None,
            "received": 0,
        }
        write_json_atomically(spath, state)
        say(f"[2/4] upload {upload['id']} created; progress is kept in {spath.name} (run again to resume)")
    else:
        say(
            f"[2/4] resuming upload {upload['id']}: the platform holds {human(upload['received'])} "
            f"of {human(size)} ({upload['received']} bytes)"
        )
    part_size = part_size or upload["part_size"]
    upload_id = upload["id"]
    with path.open("rb") as f:
        whole = FileHash(f, size)
        received = send_parts(
            platform, upload_id, f, size, upload["received"], part_size, whole, state, spath, on_part
        )
        sha256 = whole.hexdigest()
    if path.stat().st_mtime_ns != mtime_ns:
        raise CliError(f"{path} changed while it was being sent; seal it again and submit the new file")
    state.update(sha256=sha256, received=received)
    write_json_atomically(spath, state)
    say(f"[3/4] all {human(size)} sent; SHA-256 {sha256}; the platform is checking the envelope…")
    bid = _finalize(platform, tender_id, upload_id, sha256)
    return _finish(platform, path, bid, spath)


def device_id() -> str:
    """This machine's id as the platform's collusion alerts see it (bids of different companies from one
    machine, 实施条例 art. 40): a hash of the hardware address, so the address itself is never sent."""
    return hashlib.sha256(f"bidder-tool:{uuid.getnode()}".encode()).hexdigest()


def _finalize(platform, tender_id, upload_id, sha256) -> dict:
    for attempt in Retry():
        with attempt:
            status, body = platform.request(
                "POST", f"/api/uploads/{upload_id}/finalize/", json_body={"sha256": sha256}, timeout=FINALIZE_TIMEOUT,
                headers={"X-Client-Device": device_id()},
            )
            if status == 201:
                return body
            if status == 409 and body.get("code") == "upload_closed":
                # A lost answer to an earlier finalize that went through: the bid exists.
                bid = _find_bid_of_upload(platform, tender_id, upload_id)
                if bid is not None:
                    return bid
            raise Refused(status, body)
    raise AssertionError("unreachable")


def _finish(platform: Platform, path: Path, bid: dict, spath: Path) -> dict:
    doc, rpath = save_receipt(platform, path, bid)
    spath.unlink(missing_ok=True)
    say(f"[4/4] accepted. Receipt written to {rpath}")
    receipt = verify_receipt_doc(doc, envelope_path=path)
    say(f"      receipt number   {receipt['receipt_no']}")
    say(f"      received at      {receipt['received_at']} (platform time)")
    say(f"      bid id           {bid['id']}  (withdraw: bidder.py withdraw --bid {bid['id']})")
    return doc


def cmd_submit(args):
    platform = platform_from(args)
    try:
        submit_envelope(platform, args.tender, args.envelope, part_size=args.part_size)
    except KeyboardInterrupt:
        say(
            f"\ninterrupted. Run the same command again to continue where the platform stopped "
            f"({state_path(args.envelope).name} remembers the upload)."
        )
        raise
    finally:
        platform.close()


def cmd_status(args):
    platform = platform_from(args)
    upload = platform.call("GET", f"/api/uploads/{args.upload}/")
    size = upload["declared_size"]
    say(f"upload {upload['id']}  tender {upload['tender']}  status {upload['status']}")
    say(f"received {upload['received']} of {size} bytes ({upload['received'] * 100 // max(size, 1)}%)")
    if upload.get("refusal_code"):
        say(f"refused: {upload['refusal_code']}")


def cmd_withdraw(args):
    platform = platform_from(args)
    bid = platform.call("POST", f"/api/bids/{args.bid}/withdraw/", retry=False)
    say(f"bid {bid['id']} ({bid['receipt_no']}) is {bid['status']} at {bid['withdrawn_at']}")
