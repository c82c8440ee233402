"""The part PUT streamed from the ASGI connection to the bid file (trading/part_stream.py,
docs/bid-upload.md), driven through the platform's real `config.asgi.application` with an ASGI
communicator: the body arrives in pieces, may stop short (`http.disconnect`), may be longer than its
Content-Length. A good part lands and a refused or broken one leaves the stored bytes and the upload's
recorded size exactly as they were, after which the upload resumes.

Transactional: the view runs in the handler's own thread, on its own database connection."""

import hashlib
import json
import time

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.testing import ApplicationCommunicator
from django.test import Client

from accounts.actions import create_api_token
from config.asgi import application
from tests.trading.bidding import bidder_with_keys, published_tender
from trading import actions, bidstore
from trading.models import BidUpload

pytestmark = pytest.mark.django_db(transaction=True)

KIB = 1024
SIZE = 3 * 1024 * KIB + 123  # more than one FILL (1 MiB) per part: the body is read in several hops
DATA = bytes(range(256)) * (SIZE // 256) + bytes(SIZE % 256)


@pytest.fixture
def tender(platform_pki, regions):
    return published_tender()


@pytest.fixture
def bidder(regions):
    user = bidder_with_keys()
    user.token = create_api_token(actor=user, name="test")[1]
    return user


@pytest.fixture
def upload(tender, bidder):
    return actions.create_upload(actor=bidder, tender_id=tender.pk, size=SIZE)


def token_headers(user):
    return [(b"authorization", f"Token {user.token}".encode())]


def put(upload_id, offset, pieces, *, headers, length=None, sha256=None, disconnect=False, query=None, between=None):
    """PUT the pieces as successive `http.request` messages (then `http.disconnect` if asked); returns
    (status, JSON body), or None when the app sent no answer. `between(i)` runs after piece i is sent."""

    async def run():
        content_length = sum(map(len, pieces)) if length is None else length
        all_headers = [(b"host", b"testserver"), (b"content-type", b"application/octet-stream"),
                       (b"content-length", str(content_length).encode()), *headers]
        if sha256 is not None:
            all_headers.append((b"x-part-sha256", sha256.encode()))
        path = f"/api/uploads/{upload_id}/parts/"
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                 "query_string": (query if query is not None else f"offset={offset}").encode(),
                 "headers": all_headers, "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
        app = ApplicationCommunicator(application, scope)
        for i, piece in enumerate(pieces):
            await app.send_input({"type": "http.request", "body": piece,
                                  "more_body": disconnect or i < len(pieces) - 1})
            if between is not None:
                await between(i)
        if disconnect:
            await app.send_input({"type": "http.disconnect"})
        start = await app.receive_output(30)
        assert start["type"] == "http.response.start"
        body = b""
        while True:
            message = await app.receive_output(30)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await app.wait(30)
        return start["status"], json.loads(body)

    return async_to_sync(run)()


def stored(upload):
    """What the platform holds of an upload: its recorded size and its file's bytes."""
    upload = BidUpload.objects.get(pk=upload.pk)
    with bidstore.open_file(upload.storage_name) as f:
        return upload.received, f.read()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def first_part(upload, bidder, n=1024 * KIB):
    status, body = put(upload.pk, 0, [DATA[:n]], headers=token_headers(bidder), sha256=sha(DATA[:n]))
    assert (status, body["received"]) == (200, n)
    return n


def test_a_good_part_arrives_in_pieces_lands_at_its_offset_and_the_next_resumes_from_it(upload, bidder):
    part = DATA[:2 * 1024 * KIB + 7]
    pieces = [part[i:i + 100 * KIB] for i in range(0, len(part), 100 * KIB)]
    status, body = put(upload.pk, 0, pieces, headers=token_headers(bidder), sha256=sha(part))
    assert (status, body["received"], body["status"], body["declared_size"]) == (200, len(part), "open", SIZE)
    assert stored(upload) == (len(part), part)

    status, body = put(upload.pk, len(part), [DATA[len(part):]], headers=token_headers(bidder))
    assert (status, body["received"]) == (200, SIZE)
    assert stored(upload) == (SIZE, DATA)


def test_the_body_reaches_the_bid_file_while_it_is_still_arriving(upload, bidder):
    """Nothing spools the whole part first: the bytes of the first pieces are in the bid file (beyond
    what the upload has recorded) before the last piece is sent."""
    name = upload.storage_name
    seen = []

    async def watch(i):
        if i == 0:
            give_up = time.monotonic() + 20
            while bidstore.size(name) < 1024 * KIB and time.monotonic() < give_up:
                await _sleep()
            seen.append(bidstore.size(name))

    part = DATA[:3 * 1024 * KIB]
    status, body = put(upload.pk, 0, [part[:2 * 1024 * KIB], part[2 * 1024 * KIB:]], headers=token_headers(bidder),
                       between=watch)
    assert seen[0] >= 1024 * KIB
    assert (status, body["received"]) == (200, len(part))
    assert stored(upload) == (len(part), part)


async def _sleep():
    import asyncio

    await asyncio.sleep(0.01)


def test_a_connection_cut_mid_part_leaves_the_stored_bytes_and_the_upload_resumes(upload, bidder):
    n = first_part(upload, bidder)
    before = stored(upload)

    put(upload.pk, n, [DATA[n:n + 1500 * KIB]], length=SIZE - n, headers=token_headers(bidder), disconnect=True)
    assert stored(upload) == before == (n, DATA[:n])

    # A body that ends before its Content-Length (a proxy cut it short) is not kept either.
    status, body = put(upload.pk, n, [DATA[n:n + 10 * KIB]], length=SIZE - n, headers=token_headers(bidder))
    assert (status, body["code"], body["received"]) == (400, "incomplete_part", n)
    assert stored(upload) == before

    status, body = put(upload.pk, n, [DATA[n:]], headers=token_headers(bidder), sha256=sha(DATA[n:]))
    assert (status, body["received"]) == (200, SIZE)
    assert stored(upload) == (SIZE, DATA)


def test_a_part_with_the_wrong_sha256_is_not_kept_and_the_right_one_then_lands(upload, bidder):
    n = first_part(upload, bidder)
    before = stored(upload)
    damaged = bytearray(DATA[n:])
    damaged[-1] ^= 1
    status, body = put(upload.pk, n, [bytes(damaged)], headers=token_headers(bidder), sha256=sha(DATA[n:]))
    assert (status, body["code"], body["received"]) == (400, "part_sha256_mismatch", n)
    assert stored(upload) == before

    status, body = put(upload.pk, n, [DATA[n:]], headers=token_headers(bidder), sha256=sha(DATA[n:]))
    assert (status, body["received"]) == (200, SIZE)
    assert stored(upload) == (SIZE, DATA)


def test_a_part_longer_than_announced_or_beyond_the_bid_or_at_the_wrong_offset_is_not_kept(upload, bidder):
    n = first_part(upload, bidder)
    before = stored(upload)
    # More body than its Content-Length: written as it came, then cut back.
    status, body = put(upload.pk, n, [DATA[n:n + 600 * KIB], DATA[n + 600 * KIB:n + 700 * KIB]],
                       length=600 * KIB, headers=token_headers(bidder))
    assert (status, body["code"], body["received"]) == (400, "invalid_part", n)
    assert stored(upload) == before
    # The rest are refused before the body is read.
    status, body = put(upload.pk, n, [DATA[n:] + b"x"], headers=token_headers(bidder))
    assert (status, body["code"], body["received"]) == (413, "part_beyond_size", n)
    status, body = put(upload.pk, n, [b""], length=actions.bids.PART_SIZE + 1, headers=token_headers(bidder))
    assert (status, body["code"]) == (413, "part_too_large")
    status, body = put(upload.pk, 0, [DATA[:KIB]], headers=token_headers(bidder))
    assert (status, body["code"], body["received"]) == (409, "offset_mismatch", n)
    status, body = put(upload.pk, None, [DATA[n:n + KIB]], query="offset=-1", headers=token_headers(bidder))
    assert (status, body["code"]) == (400, "invalid_parameter")
    assert stored(upload) == before


def test_a_part_after_the_deadline_is_refused_and_nothing_changes(tender, upload, bidder):
    n = first_part(upload, bidder)
    before = stored(upload)
    with time_machine.travel(tender.bid_deadline, tick=False):
        status, body = put(upload.pk, n, [DATA[n:]], headers=token_headers(bidder), sha256=sha(DATA[n:]))
    assert (status, body["code"]) == (409, "deadline_passed")
    assert stored(upload) == before


def test_another_organizations_user_and_an_anonymous_request_are_refused(upload, bidder):
    before = stored(upload)
    other = bidder_with_keys()
    other.token = create_api_token(actor=other, name="test")[1]
    status, body = put(upload.pk, 0, [DATA[:KIB]], headers=token_headers(other))
    assert (status, body["code"]) == (403, "not_upload_owner")
    status, body = put(upload.pk, 0, [DATA[:KIB]], headers=[])
    assert (status, body["code"]) == (401, "not_authenticated")
    status, body = put(upload.pk, 0, [DATA[:KIB]], headers=[(b"authorization", b"Token bzt_revoked")])
    assert (status, body["code"]) == (401, "invalid_token")
    status, body = put("not-a-uuid", 0, [DATA[:KIB]], headers=token_headers(bidder))
    assert (status, body["code"]) == (400, "invalid_parameter")
    assert stored(upload) == before


def test_the_browser_sends_parts_with_its_session_and_csrf_token(upload, bidder):
    client = Client()
    client.force_login(bidder)
    session = client.cookies["sessionid"].value
    csrf = "A" * 32
    cookies = [(b"cookie", f"sessionid={session}; csrftoken={csrf}".encode())]
    status, body = put(upload.pk, 0, [DATA[:KIB]], headers=cookies)
    assert (status, body["code"]) == (403, "permission_denied")  # no CSRF token: refused like any session PUT
    assert stored(upload) == (0, b"")

    status, body = put(upload.pk, 0, [DATA[:KIB]], headers=[*cookies, (b"x-csrftoken", csrf.encode())],
                       sha256=sha(DATA[:KIB]))
    assert (status, body["received"]) == (200, KIB)
    assert stored(upload) == (KIB, DATA[:KIB])
