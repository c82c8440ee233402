import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from ledger import chain

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _headers(user=None):
    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return headers


async def _connect(user=None, path="/ws/ledger/"):
    headers = await database_sync_to_async(_headers)(user)
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@database_sync_to_async
def _log(region):
    return chain.append_in_transaction("test.action", region=region, payload={"region": region}).seq


@database_sync_to_async
def _user(role, region):
    from tests.factories import make_user

    return make_user(role, region)


@pytest.fixture
async def regions_ready(regions):
    return regions


@pytest.fixture
def regions(transactional_db):
    from accounts.models import Region
    from accounts.regions import ensure_regions

    ensure_regions(Region)


async def test_a_regulator_gets_a_snapshot_then_live_entries_in_scope(regions):
    regulator = await _user("regulator", "511921")
    first = await _log("511921")
    ws, connected, _ = await _connect(regulator)
    assert connected
    snapshot = await ws.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert [e["seq"] for e in snapshot["data"]["entries"] if e["action"] == "test.action"] == [first]
    await _log("511922")  # another county: must not arrive
    mine = await _log("511921")
    event = await ws.receive_json_from(timeout=5)
    assert (event["type"], event["seq"], event["data"]["region"]) == ("ledger.entry", mine, "511921")
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_a_reconnecting_client_gets_exactly_what_it_missed(regions):
    regulator = await _user("regulator", "511900")
    a = await _log("511921")
    b = await _log("511922")
    ws, connected, _ = await _connect(regulator, f"/ws/ledger/?last_seq={a}")
    assert connected
    snapshot = await ws.receive_json_from(timeout=5)
    assert [e["seq"] for e in snapshot["data"]["entries"]] == [b]
    await ws.disconnect()


async def test_the_log_socket_is_read_only(regions):
    regulator = await _user("regulator", "511900")
    ws, _connected, _ = await _connect(regulator)
    await ws.receive_json_from(timeout=5)
    await ws.send_json_to({"id": "m1", "type": "ledger.append", "data": {}})
    reply = await ws.receive_json_from(timeout=5)
    assert (reply["type"], reply["id"], reply["data"]["code"]) == ("error", "m1", "read_only")
    await ws.disconnect()


@pytest.mark.parametrize("who", ["anonymous", "bidder"])
async def test_anonymous_users_and_bidders_get_nothing(regions, who):
    user = None if who == "anonymous" else await _user("bidder", "511900")
    ws, connected, _ = await _connect(user)
    # Accepted, then closed with 4403 at once (so a browser learns it is refused and stops retrying).
    assert connected is True
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    await _log("511921")
    assert await ws.receive_nothing(timeout=0.3)


async def test_a_foreign_origin_is_refused(regions):
    regulator = await _user("regulator", "511900")
    headers = await database_sync_to_async(_headers)(regulator)
    headers[0] = (b"origin", b"http://evil.example")
    ws = WebsocketCommunicator(application, "/ws/ledger/", headers=headers)
    connected, _ = await ws.connect()
    assert connected is False
