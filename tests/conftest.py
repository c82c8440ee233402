"""Shared fixtures: regions, organizations and users of every role, built through the actions."""

import os
import sys

import pytest

# Only the tests may run sync ORM code from async contexts (the live ASGI server of e2e tests).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _after_fork_in_child():
    """Runs in every child forked from the test process (the e2e servers are forked daphnes): the child
    must not share the parent's event loops or lean on the parent's threads.

    1. A fork shares the kernel's epoll instance of every event loop the parent has made, daphne's
       module-level loop among them. The child drops that loop for a new one (daphne.testing's
       `_reinstall_reactor`); when the garbage collector then closes it, its self-pipe is unregistered
       from the *shared* epoll, and the parent's loop, once it runs (tests/sealing/test_cli_submit.py
       serves from it), no longer wakes when a thread finishes: every sync step of a request then waits
       for the next 1-second timer, and requests time out. The child's copies get their own selectors
       (closing only the child's descriptor of the shared one), so nothing it does reaches the parent.
    2. A child has no threads but the one that forked: if the parent had started asgiref's global
       thread-sensitive executor (any async test does), the child would inherit an executor whose only
       worker does not exist, and every database_sync_to_async call of a consumer would wait forever.
    """
    import asyncio
    import gc
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    # type(), not isinstance(): isinstance asks a lazy object (Django's) for its __class__, which
    # evaluates it, here, in the child.
    loop_type = asyncio.selector_events.BaseSelectorEventLoop
    for loop in [obj for obj in gc.get_objects() if issubclass(type(obj), loop_type)]:
        inherited = getattr(loop, "_selector", None)
        if inherited is None or loop.is_closed():
            continue
        loop._selector = type(inherited)()
        getattr(inherited, "_selector", inherited).close()  # the child's epoll descriptor only, no EPOLL_CTL_DEL


os.register_at_fork(after_in_child=_after_fork_in_child)


@pytest.fixture(scope="session", autouse=True)
def _pooled_opening_keys():
    """Publication's opening keys and signers' certificate keys come from the test key pool
    (tests/factories.py, pooled_opening_key and pooled_signer_key)."""
    from records import pki
    from sealedbid import ceremony
    from tests.factories import pooled_opening_key, pooled_signer_key

    original, original_signer = ceremony._generate_rsa, pki.new_key
    ceremony._generate_rsa, pki.new_key = pooled_opening_key(original), pooled_signer_key(original_signer)
    yield
    ceremony._generate_rsa, pki.new_key = original, original_signer


@pytest.fixture(scope="session", autouse=True)
def _static_root():
    """WhiteNoise warns on every request when the collected-static folder does not exist."""
    from django.conf import settings

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_PASSWORD_VALIDATORS = []


_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                      "live_server"}


def _uses_database(item):
    from django.test import TransactionTestCase

    cls = getattr(item, "cls", None)
    return (item.get_closest_marker("django_db") is not None
            or item.get_closest_marker("every_backend") is not None
            or bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
            or (cls is not None and issubclass(cls, TransactionTestCase)))


def pytest_collection_modifyitems(config, items):
    """`.ci/run` runs the suite twice, on PostgreSQL + Redis and on the embedded default (SQLite, in-memory
    layer and cache), and sets BACKEND_TESTS_ONLY=1 on its second pass. A test that touches no database
    (the sealed-bid format, PDFs and signatures, the Merkle tree's arithmetic, the tools, the translations)
    does the same work on either, so that pass leaves it to the first, where it runs; a test that uses
    the cache or the channel layer without a database says so (`every_backend`). Every test still runs
    in every `make test`."""
    if os.environ.get("BACKEND_TESTS_ONLY") != "1":
        return
    kept, left = [], []
    for item in items:
        (kept if _uses_database(item) else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_configure(config):
    from tests import fast_flush

    fast_flush.install()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL the trading log refuses TRUNCATE (ledger migration 0002) unless the database says
    `ledger.allow_truncate = on`. Only this throwaway test database says so, because transactional tests
    empty every table after each test. Sessions opened afterwards (every test's) see the setting."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            name = connection.settings_dict["NAME"]
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER DATABASE "{name}" SET ledger.allow_truncate = on')
            connection.close()


def clear_cache():
    """Empty this run's cache. On Redis only our own keys go: `cache.clear()` is FLUSHDB, which would
    also wipe the channel layer's groups and any other run's keys on the same server."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]  # the backend itself: `django.core.cache.cache` is a proxy, never a RedisCache
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(None, write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _clear_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _pooled_test_keys():
    """The RSA and ECC keys a test names (tests/factories.py) go back to the pool when it ends."""
    factories = sys.modules.get("tests.factories")  # not imported: no key named yet (and no Django needed)
    if factories is None:
        yield
        return
    with factories.keys_for_one_test():
        yield


@pytest.fixture(autouse=True)
def _ledger_numbering(request):
    """PostgreSQL hands out the trading log's numbers from a sequence, which a rolled-back test does not
    rewind: each test's log starts after what is really stored (ledger.sequencer.restart_numbering), as a
    real database's would. (SQLite numbers from the stored entries and needs nothing.)"""
    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "django_db_reset_sequences"))
    if uses_db:
        request.getfixturevalue("_django_db_helper")
        from django.db import connection

        if connection.vendor == "postgresql":
            from ledger.sequencer import restart_numbering

            restart_numbering()
    yield


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A Redis channel layer holds a receive lock and connection pools bound to the event loop that used
    them; a consumer of an earlier test (another loop) still waiting in `receive` leaves the lock held, and
    the next test's consumer fails with "bound to a different event loop". Each test gets its own layer."""
    from channels.layers import channel_layers

    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture
def regions(db):
    """The region tree. Migrations create it, but transactional tests flush it: make sure."""
    from accounts.models import Region
    from accounts.regions import ensure_regions

    ensure_regions(Region)
    return {r.code: r for r in Region.objects.all()}


@pytest.fixture
def make_user(regions):
    """make_user("staff", "511921") → a user holding that role in that region (default: city)."""
    from tests.factories import make_user as factory

    return factory


@pytest.fixture
def unverified_bidder(make_user):
    """A bidder whose company registered itself and is not yet verified by trading center staff."""
    return make_user("bidder", username="unverified_bidder", verified=False)


@pytest.fixture
def city_staff(make_user):
    return make_user("staff", "511900", username="city_staff")


@pytest.fixture
def tongjiang_staff(make_user):
    return make_user("staff", "511921", username="tongjiang_staff")


@pytest.fixture
def nanjiang_staff(make_user):
    return make_user("staff", "511922", username="nanjiang_staff")


@pytest.fixture
def city_regulator(make_user):
    return make_user("regulator", "511900", username="city_regulator")


@pytest.fixture
def tongjiang_regulator(make_user):
    return make_user("regulator", "511921", username="tongjiang_regulator")


@pytest.fixture(scope="session")
def session_pki_dir(tmp_path_factory):
    """One platform PKI (CA and seal) per test session: RSA-3072 keys are slow to make. Files only,
    no ledger entry: a session fixture must not write to the per-test database."""
    from records import pki

    directory = tmp_path_factory.mktemp("pki")
    pki.create_authority(directory)
    return directory


@pytest.fixture
def platform_pki(settings, session_pki_dir, tmp_path):
    settings.PKI_DIR = session_pki_dir
    settings.RECORDS_SIGNER_KEY_BITS = 2048
    settings.MEDIA_ROOT = tmp_path / "media"
    return session_pki_dir
