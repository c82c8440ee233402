"""The platform's HTTP API as the CLIs speak it (standard library only): one keep-alive connection,
the personal API token, and retries with backoff for what is worth another try."""

import json
import os
import time
import urllib.parse

from .common import CliError, say

TOKEN_ENV = "BZ_TOKEN"  # noqa: S105 - the name of a variable, not a secret
# Worth another try: the network, a proxy or a server restart; anything else is the platform's answer.
TRANSIENT_STATUSES = {429, 500, 502, 503, 504}
RETRIES = 8  # consecutive failures before giving up (the next run resumes anyway)
BACKOFF_BASE = 1.0  # seconds before the first retry, doubled each time up to BACKOFF_MAX
BACKOFF_MAX = 30.0
TIMEOUT = 60  # seconds without a byte from the server
FINALIZE_TIMEOUT = 900  # the server reads the whole envelope once more before it answers


class Refused(CliError):
    """The platform said no: its stable code and its message (docs: errors are {"code", "detail"})."""

    def __init__(self, status: int, body: dict):
        import http.client

        self.status, self.body = status, body
        self.code = body.get("code") or f"http_{status}"
        detail = body.get("detail") or body.get("errors") or http.client.responses.get(status, "")
        super().__init__(f"the platform refused ({self.code}): {detail}")


class Transient(Exception):
    """A failure worth retrying: the connection broke, timed out, or the server was briefly unavailable."""


class Platform:
    """One keep-alive connection to the platform's API, authenticated by a personal token."""

    def __init__(self, server: str, token: str | None, *, timeout: float = TIMEOUT):
        parts = urllib.parse.urlsplit(server)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CliError(f"--server {server!r}: give the platform's address, e.g. https://ggzy.example.cn")
        self.server = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._scheme, self._netloc, self._prefix = parts.scheme, parts.netloc, parts.path.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._conn = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self, timeout):
        # http.client and ssl are imported by the commands that talk to the platform, not by seal or check.
        import http.client
        import ssl

        if self._conn is None:
            if self._scheme == "https":
                self._conn = http.client.HTTPSConnection(
                    self._netloc, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                self._conn = http.client.HTTPConnection(self._netloc, timeout=timeout)
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body=None,
        data: bytes | None = None,
        headers=None,
        timeout: float | None = None,
    ) -> tuple[int, dict]:
        """One attempt. Returns (status, JSON body) for any answer but a transient one; raises Transient."""
        headers = {"Accept": "application/json", **(headers or {})}
        if self._token:
            headers["Authorization"] = f"Token {self._token}"
        import http.client

        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn = self._connection(timeout or self._timeout)
            conn.request(method, self._prefix + path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException) as exc:  # reset, refused, timed out, cut mid-answer
            self.close()
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {"results": payload}
        if response.status in TRANSIENT_STATUSES:
            raise Transient(f"HTTP {response.status} {payload.get('code', response.reason)}")
        return response.status, payload

    def call(self, method: str, path: str, *, ok=(200, 201), retry=True, **kwargs) -> dict:
        """A request whose repetition is harmless, retried with backoff; raises Refused on a refusal."""
        for attempt in Retry(RETRIES if retry else 1):
            with attempt:
                status, body = self.request(method, path, **kwargs)
                if status not in ok:
                    raise Refused(status, body)
                return body
        raise AssertionError("unreachable")


class Retry:
    """`for attempt in Retry(): with attempt: …` retries the block on Transient, with backoff."""

    def __init__(self, tries: int = RETRIES):
        self.tries, self.failures, self.done = tries, 0, False

    def __iter__(self):
        while not self.done:
            yield self

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.done = True
            return False
        if not issubclass(exc_type, Transient):
            return False
        self.failures += 1
        backoff(self.failures, exc, self.tries)
        return True


def backoff(failures: int, reason, tries: int = RETRIES):
    """Wait before the next try, or give up (CliError) after `tries` consecutive failures."""
    if failures >= tries:
        raise CliError(
            f"giving up after {failures} failed attempts ({reason}); run the same command "
            "again later: it resumes where the platform stopped"
        ) from reason
    delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (failures - 1))
    say(f"  network trouble ({reason}); retrying in {delay:g} s")
    time.sleep(delay)


def platform_from(args) -> Platform:
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        raise CliError(
            f"give your API token with --token or the {TOKEN_ENV} environment variable "
            "(make one on the platform's “密钥与令牌 / Keys and API tokens” page, /accounts/security/)"
        )
    if not 1 <= args.timeout <= 3600:
        raise CliError("--timeout: give between 1 and 3600 seconds")
    platform = Platform(args.server, token, timeout=args.timeout)
    host = urllib.parse.urlsplit(platform.server).hostname
    if platform.server.startswith("http://") and host not in ("127.0.0.1", "localhost", "::1"):
        say(f"warning: {platform.server} is not https: your token and bid travel unprotected")
    return platform


def add_platform_options(command):
    """--server, --token and --timeout: the options of every command that talks to the platform."""
    command.add_argument("--server", required=True, help="the platform's address, e.g. https://ggzy.example.cn")
    command.add_argument(
        "--token",
        help=f"your API token (better: the {TOKEN_ENV} environment variable, "
        "which other users of this machine cannot see)",
    )
    command.add_argument("--timeout", type=float, default=TIMEOUT,
                         help=f"seconds to wait for an answer before trying again (default {TIMEOUT})")
