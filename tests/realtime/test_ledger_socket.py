import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from ledger import chain, sequencer
from ledger.models import Entry

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
def _log(region, integrate=True):
    """An entry appended, then hashed as the sequencer would (its watchers hear of it then)."""
    seq = chain.append_in_transaction("test.action", region=region, payload={"region": region}).seq
    if integrate:
        sequencer.hash_pending()
    return seq


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


async def test_watchers_hear_of_an_entry_once_it_is_hashed_with_its_hash_and_in_order(regions):
    regulator = await _user("regulator", "511900")
    ws, connected, _ = await _connect(regulator)
    assert connected
    await ws.receive_json_from(timeout=5)  # the snapshot
    first = await _log("511921", integrate=False)
    second = await _log("511922", integrate=False)
    assert await ws.receive_nothing(timeout=0.3)  # committed, not yet hashed: nothing yet
    await database_sync_to_async(sequencer.hash_pending)()
    events = [await ws.receive_json_from(timeout=5) for _ in range(2)]
    assert [(e["type"], e["seq"]) for e in events] == [("ledger.entry", first), ("ledger.entry", second)]
    hashes = await database_sync_to_async(lambda: dict(Entry.objects.values_list("seq", "hash")))()
    assert [e["data"]["hash"] for e in events] == [hashes[first], hashes[second]]
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


@database_sync_to_async
def _log_many(n, region="511921"):
    """n entries committed together (one commit: fast on SQLite), their events sent in one burst.
    Returns the last seq."""
    from django.db import transaction

    with transaction.atomic():
        last = [chain.append("test.action", region=region, payload={}) for _ in range(n)][-1].seq
    sequencer.hash_pending()
    return last


async def _seqs_until(ws, last):
    """Every entry seq the socket sends, in arrival order, until `last` has arrived; and the message types."""
    seen, kinds = [], []
    while not seen or seen[-1] < last:
        message = await ws.receive_json_from(timeout=10)
        kinds.append(message["type"])
        if message["type"] in ("snapshot", "ledger.replay"):
            seen += [e["seq"] for e in message["data"]["entries"]]
        else:
            seen.append(message["data"]["seq"])
    return seen, kinds


async def test_a_client_far_behind_gets_every_missed_entry_once_in_order_then_live(regions):
    # Before: at most 1,000 entries were replayed, then the socket went live at the head.
    regulator = await _user("regulator", "511900")
    head = await _log_many(2500)
    ws, connected, _ = await _connect(regulator, "/ws/ledger/?last_seq=0")
    assert connected
    # Committed while the replay may still run, in a burst larger than the layer's queue (100 events).
    newest = await _log_many(150)
    seen, kinds = await _seqs_until(ws, newest)
    assert seen == list(range(1, newest + 1))
    assert head >= 2500 and kinds[:6] == ["snapshot"] + ["ledger.replay"] * 5
    live = await _log("511921")
    event = await ws.receive_json_from(timeout=5)
    assert (event["type"], event["seq"]) == ("ledger.entry", live)
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_a_county_regulator_catching_up_gets_only_the_county_entries(regions):
    regulator = await _user("regulator", "511921")
    start = await _log("511921")
    other = await _log_many(600, "511922")
    mine = await _log_many(600, "511921")
    ws, connected, _ = await _connect(regulator, f"/ws/ledger/?last_seq={start}")
    assert connected
    seen, kinds = await _seqs_until(ws, mine)
    assert seen == list(range(other + 1, mine + 1))
    assert kinds == ["snapshot", "ledger.replay"]
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()
