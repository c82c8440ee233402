"""Real-browser tests: a live ASGI server (daphne: HTTP and websockets) driven by Chromium through Playwright.

Subclass `BrowserTestCase` and mark the module `pytest.mark.e2e`:

    class TestSomething(BrowserTestCase):
        def test_it_works(self):
            page = self.new_page()
            self.sign_in(page, user)
            page.goto("/tenders/")

pytest-django's `live_server` is WSGI (websockets would never connect), so the server is channels'
`ChannelsLiveServerTestCase`: daphne in a forked process, on the same test database. The tests are
unittest-style TransactionTestCases: the server only sees committed rows, and every table is flushed
after each test, data migrations' rows included, hence `setUp` puts the regions and the holiday
calendar back.

Each class has its own copy of the run's platform PKI (CA and seal, as `manage.py init_pki` makes them), shared with the
server: bid receipts and signed records need it. The server runs the trading log's sequencer, as `make run`'s
does, but no task worker: a test does a background task's work itself with `run_job`, where the platform's
worker would do it.
"""

import atexit
import multiprocessing
import shutil
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from channels.testing import ChannelsLiveServerTestCase
from daphne.testing import DaphneProcess
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from django.test import override_settings
from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000
# A phone-sized window, without is_mobile: Chromium's mobile emulation zooms out to fit content that is too
# wide, which would hide exactly the horizontal overflow the tests look for.
PHONE = {"width": 390, "height": 844}
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Settings the server process must share with the test process.
SHARED_SETTINGS = ["PASSWORD_HASHERS", "AUTH_PASSWORD_VALIDATORS", "MEDIA_ROOT", "PKI_DIR", "RECORDS_SIGNER_KEY_BITS"]
JOB_TIMEOUT_S = 120


def _serve_test_database(shared, jobs=None):
    """Runs in the server process before it serves (a module-level function: picklable).

    channels' own hook renames the database to TEST NAME or "test_" + NAME. On Linux the process is
    forked after the test database was created, so NAME already is the test database and PostgreSQL
    would get "test_test_postgres"; with a spawned process nothing of the test process is inherited.
    Setting the test process's values explicitly is right in both cases.
    """
    from django.conf import settings

    database_name, values = shared
    settings.DATABASES["default"]["NAME"] = database_name
    for name, value in values.items():
        setattr(settings, name, value)
    if jobs is not None:
        threading.Thread(target=_run_jobs, args=(jobs,), name="e2e-jobs", daemon=True).start()
    # As make run's server does: the log's watchers (live console, statistics screen) hear of entries
    # once it has hashed them.
    from ledger.sequencer import start_in_process

    start_in_process()


def _run_jobs(jobs):
    """The server's end of BrowserTestCase.run_job: each job runs in a thread of the ASGI process, as the
    embedded task worker runs tasks (realtime/worker.py); answers (True, result) or (False, traceback)."""
    while True:
        try:
            fn, args, kwargs = jobs.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (True, fn(*args, **kwargs))
        except BaseException:
            answer = (False, traceback.format_exc())
        finally:
            connections.close_all()
        jobs.send(answer)


class ServerProcess(DaphneProcess):
    def __init__(self, host, get_application, setup=None, **kwargs):
        shared = (settings.DATABASES["default"]["NAME"], {name: getattr(settings, name) for name in SHARED_SETTINGS})
        jobs, server_end = multiprocessing.Pipe()
        super().__init__(host, get_application, setup=partial(_serve_test_database, shared, server_end), **kwargs)
        self.jobs = jobs


_PKI = []


def _session_pki():
    """The platform PKI's files (CA and seal, as `manage.py init_pki` makes them), made once per test run
    (RSA-3072 keys are slow to make) and copied to each class's own directory. Files only, no ledger
    entry: the database is flushed after each test."""
    if not _PKI:
        from records import pki

        directory = tempfile.mkdtemp(prefix="e2e-pki-session-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        pki.create_authority(directory)
        _PKI.append(directory)
    return _PKI[0]


def choose_custodians(staff, tender_id, n=3, threshold=2):
    """Staff choose the tender's key custodians, which publication requires (no page for it yet: through the
    action, as tests.factories.make_tender does). Call it through BrowserTestCase.call."""
    from tests.factories import make_custodians
    from trading import actions

    custodians = make_custodians(n)
    actions.set_custodians(actor=staff, tender_id=tender_id, user_ids=[u.pk for u in custodians], threshold=threshold)
    return custodians


# Applied at class set-up, before the server process starts, so both processes hash the same way.
@override_settings(PASSWORD_HASHERS=FAST_HASHERS, AUTH_PASSWORD_VALIDATORS=[])
class BrowserTestCase(ChannelsLiveServerTestCase):
    """A live daphne server on the test database, and one headless Chromium for the class.

    `new_page()` opens a page in a fresh browser context (its own cookies: one per person), closed
    after the test. Pages speak Chinese (the platform's default) in Beijing time.
    """

    host = "127.0.0.1"
    serve_static = True
    ProtocolServerProcess = ServerProcess

    @classmethod
    def setUpClass(cls):
        # Uploaded files go to a directory of this class, shared with the server, removed afterwards.
        # Class contexts and cleanups unwind last-in first-out, after tearDownClass: settings nest right.
        media_root = tempfile.mkdtemp(prefix="e2e-media-")
        cls.addClassCleanup(shutil.rmtree, media_root, ignore_errors=True)
        pki_dir = tempfile.mkdtemp(prefix="e2e-pki-")
        cls.addClassCleanup(shutil.rmtree, pki_dir, ignore_errors=True)
        cls.enterClassContext(override_settings(MEDIA_ROOT=media_root, PKI_DIR=pki_dir, RECORDS_SIGNER_KEY_BITS=2048))
        shutil.copytree(_session_pki(), pki_dir, dirs_exist_ok=True)
        super().setUpClass()
        cls._playwright = cls.browser = None
        try:
            # Started after the server process is forked, so the child inherits no Playwright state.
            cls._playwright = sync_playwright().start()
            cls.browser = cls._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except BaseException:
            cls._stop_browser()
            super().tearDownClass()  # the server process, which would otherwise outlive the run
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls._stop_browser()
        finally:
            super().tearDownClass()

    @classmethod
    def _stop_browser(cls):
        if cls.browser is not None:
            cls.browser.close()
        if cls._playwright is not None:
            cls._playwright.stop()
        cls._playwright = cls.browser = None

    def setUp(self):
        from accounts.models import Region
        from accounts.regions import ensure_regions
        from tests.factories import seed_calendar
        from trading.models import CalendarYear

        super().setUp()
        from ledger.sequencer import restart_numbering

        restart_numbering()  # the trading log's numbers start after what is stored (tests/conftest.py)
        ensure_regions(Region)
        if not CalendarYear.objects.exists():
            seed_calendar()

    @staticmethod
    def call(fn, /, *args, **kwargs):
        """fn(*args, **kwargs) in a helper thread: for actions and factories called by the test itself.

        Playwright's sync API keeps an event loop running in the test's thread, and actions send their
        realtime events through async_to_sync, which refuses to run in such a thread. The thread's
        database connection is closed at the end (PostgreSQL drops no database with a session open).
        Plain ORM reads work in the test's thread (DJANGO_ALLOW_ASYNC_UNSAFE, tests/conftest.py).
        """

        def run():
            try:
                return fn(*args, **kwargs)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(run).result()

    def run_job(self, fn, /, *args, **kwargs):
        """A background task's work, fn(*args, **kwargs), done where the platform's task worker would do it
        (the live server runs none in tests, so the test decides when). With Redis the worker is a process
        of its own, as the test process is: `call`. Without Redis the in-memory channel layer reaches only
        the sockets of its own process, so the worker is a thread of the ASGI process
        (TASK_WORKER_IN_PROCESS): the job runs in a thread of the server process, whose sockets then get
        its events. fn, its arguments and its result must pickle (a module-level function, plain values)."""
        if not settings.TASK_WORKER_IN_PROCESS:
            return self.call(fn, *args, **kwargs)
        jobs = self._server_process.jobs
        jobs.send((fn, args, kwargs))
        if not jobs.poll(JOB_TIMEOUT_S):
            raise TimeoutError(f"{fn.__qualname__} did not finish in the server within {JOB_TIMEOUT_S} s")
        ok, value = jobs.recv()
        if not ok:
            raise AssertionError(f"{fn.__qualname__} failed in the server process:\n{value}")
        return value

    def _fixture_teardown(self):
        """The live server may still be answering the last page when the test ends (a websocket's snapshot
        reads many tables in one transaction): the flush's TRUNCATE can deadlock with it. PostgreSQL aborts
        one side; if it was the flush, flush again once the server's transaction is over."""
        for attempt in range(5):
            try:
                return super()._fixture_teardown()
            except CommandError as exc:
                if attempt == 4 or "deadlock" not in str(exc.__cause__).lower():
                    raise
                time.sleep(0.5)

    def new_page(self, *, viewport=None):
        context = self.browser.new_context(
            base_url=self.live_server_url, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True,
            viewport=viewport or {"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.addCleanup(context.close)
        return context.new_page()

    def sign_in(self, page, user, password=PASSWORD):
        """Through the real login page, as a person would."""
        page.goto("/accounts/login/")
        page.locator("input[name=username]").fill(user.username)
        page.locator("input[name=password]").fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    @staticmethod
    def screenshot(page, name):
        """A full-page screenshot in var/e2e-screens/ (ignored by git); returns its path."""
        directory = Path(settings.VAR_DIR) / "e2e-screens"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    @staticmethod
    def horizontal_overflow(page):
        """How many CSS pixels the page is wider than the window (0 when nothing sticks out)."""
        return page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")
