"""Evaluation session websocket figures (docs/architecture.md §8; docs/evaluation-session.md): 100 concurrent sessions ×
(7 experts + 5 observers) = 1,200 websockets, the experts scoring (`score.set`):

- on one daphne process (in-memory channel layer, as `make run` serves without Redis): the delivery
  latency p50/p99 of the event a `score.set` produces (`sheet.progress`, audience "committee": the 7
  members and the staff watching), from the moment the expert's message is sent to its arrival on each
  socket of the session, and the throughput;
- beside a bare Channels consumer (bench/echo_consumer.py: group_send of each message to its group of 12,
  nothing else) on the same server process, with the same clients, in the same run; the ratios ours ÷ bare;
- the same on two daphne processes sharing Redis (REDIS_URL) and the database, each session's sockets
  alternating between them, so that every event crosses processes. Without REDIS_URL that part is skipped.

    .venv/bin/python bench/bench_evaluation_socket.py [--sessions 100] [--rounds 10] [--window 0]
        [--regulators 0] [--layouts 1,2] [--clients 1] [--keep] [--smoke]
        [--redis-max-connections N] [--redis-capacity N]   (trials of layer settings: bench/echo_asgi.py)

Setup (not timed; bench/evaluation_socket_setup.py): a throwaway database of its own (benchdb.py); rows
written in bulk (tenders opened with 3 bids, complete draws of 7 accepted experts who have accounts, 5
staff observers per session, or --regulators of them regulators), each session opened by the real
`open_session` and moved to scoring as the stages before would leave it; a login session (cookie) per
user. The servers run `daphne bench.echo_asgi:application`: config.asgi's application unchanged plus the
echo route, DEBUG off, no task worker, the environment's CONN_MAX_AGE (default 0).

A round (bench/evaluation_socket_clients.py): one expert of every session (the next member each round)
sends `score.set`, all at once (--window S: each at a random moment within S seconds); the round ends
when every receiving socket has its event. Two warm-up rounds are not counted. Latency is measured in
the client process(es) (asyncio + aiohttp; a session's sender and receivers in the same one), so it
includes the client's own delay in reading a burst of frames, for the bare figure as well; the client and
server processes share this machine's CPUs, and their CPU use and the load average are printed.
Throughput is deliveries (and client messages) per second of the rounds' wall time, first send to last
arrival. A delivery that never comes, an error reply or a socket the server closes is a wrong result:
exit 1. Exceptions in the servers' logs are printed with the step they happened in.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

import django  # noqa: E402

django.setup()

import servers as servers_  # noqa: E402
from benchdb import throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from evaluation_socket_clients import Clients  # noqa: E402
from evaluation_socket_setup import build_sessions  # noqa: E402

EXPERTS, OBSERVERS = 7, 5
WARMUP = 2
LAYOUTS = {"1": (1, False, "1 process, in-memory layer"), "1r": (1, True, "1 process, Redis layer"),
           "2": (2, True, "2 processes, Redis layer")}


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def server_exceptions(servers, offsets):
    """{"<exception line>": count} written to the servers' logs since the last call."""
    found = {}
    for _, port, log in servers:
        with log.open("rb") as f:
            f.seek(offsets.get(port, 0))
            text = f.read().decode(errors="replace")
            offsets[port] = f.tell()
        for line in text.splitlines():
            if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*", line):
                found[line[:160]] = found.get(line[:160], 0) + 1
    return found


def cpu_seconds(pid):
    """CPU time of a process's live threads, in nanoseconds from /proc (schedstat), as seconds."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):  # a thread that just ended
            pass
    return total / 1e9


def settle(servers, limit=10.0):
    """Wait until the servers are idle (under 5% of a CPU for half a second; daphne logs an application's
    exception up to a second after it), at least 2 and at most `limit` seconds."""
    time.sleep(1.5)
    give_up = time.monotonic() + limit
    while time.monotonic() < give_up:
        before = sum(cpu_seconds(p.pid) for p, _, _ in servers)
        time.sleep(0.5)
        if sum(cpu_seconds(p.pid) for p, _, _ in servers) - before < 0.025:
            return


def ratio(a, b, digits=1):
    return f"{a / b:.{digits}f}" if b else "–"


# --- the servers ---------------------------------------------------------------------------------------------


def database_url():
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = urllib.parse.quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_servers(tmp, count, redis, trial=None):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url(),
           "VAR_DIR": str(settings.VAR_DIR), "MEDIA_ROOT": str(settings.MEDIA_ROOT), "PKI_DIR": str(settings.PKI_DIR),
           "PKI_PASSPHRASE": settings.PKI_PASSPHRASE, "SECRET_KEY": settings.SECRET_KEY,  # the cookies made here
           "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1"}
    for name in ("RUN_TASK_WORKER", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"):
        env.pop(name, None)
    if redis:
        prefix = f"bench-evsock-{os.getpid()}"
        env.update(REDIS_URL=settings.REDIS_URL, CHANNEL_PREFIX=prefix, CACHE_PREFIX=prefix)
        env.update(trial or {})
    servers = [servers_.daphne("bench.echo_asgi:application",
                               tmp / f"daphne-{len(list(tmp.glob('daphne-*')))}-{i}.log", env) for i in range(count)]
    servers_.wait_answering(servers)
    return servers


def stop_servers(servers):
    servers_.stop(servers, grace=15)


# --- one measurement -----------------------------------------------------------------------------------------


def measure(clients, servers, kind, args, nonce, offsets):
    """Open every socket of `kind` (ours | echo), run the rounds, close: the figures, or {"failed": why}
    when the sockets would not open or a warm-up round lost a delivery or got an error."""
    label = "bare echo consumer" if kind == "echo" else "evaluation consumer"
    print(f"  {label}: opening {args.sessions * (EXPERTS + OBSERVERS):,} websockets…", flush=True)
    errors = []

    def server_errors(when):
        for line, count in server_exceptions(servers, offsets).items():
            print(f"    SERVER ERROR {when} ×{count}: {line}", flush=True)
            errors.append(f"{when}: {line}")

    try:
        figures = rounds(clients, servers, kind, args, nonce, server_errors)
    except RuntimeError as exc:
        figures = {"failed": str(exc)}
        print(f"    FAILED: {exc}", flush=True)
        server_errors("before")
    try:
        print("    closing the sockets…", flush=True)
        clients.ask({"cmd": "close"})
    except RuntimeError as exc:
        print(f"    closing the sockets failed: {exc}", flush=True)
    settle(servers)  # the servers' disconnect handlers
    server_errors("while the sockets closed")
    figures["server_errors"] = errors
    return figures


def rounds(clients, servers, kind, args, nonce, server_errors):
    replies = clients.ask({"cmd": "connect", "kind": kind, "ports": [port for _, port, _ in servers],
                           "nonce": nonce})
    settle(servers)
    server_errors("while the sockets opened")
    idle = sum(cpu_seconds(p.pid) for p, _, _ in servers)
    time.sleep(5)
    idle = (sum(cpu_seconds(p.pid) for p, _, _ in servers) - idle) / 5
    connect = [t for r in replies for t in r["connect"]]
    figures = {"connect_wall": max(r["connect_wall"] for r in replies), "connect_p99": percentile(connect, 99),
               "retried": sum(r["retried"] for r in replies), "idle_cpu": idle,
               "latencies": [], "wall": 0.0, "missing": 0, "errors": [], "client_cpu": 0.0, "messages": 0}
    server_cpu = sum(cpu_seconds(p.pid) for p, _, _ in servers)
    for r in range(WARMUP + args.rounds):
        replies = clients.ask({"cmd": "round", "r": r, "window": args.window, "timeout": args.timeout})
        missing = sum(x["missing"] for x in replies)
        errors = [e for x in replies for e in x["errors"]]
        wall = max(x["wall"] for x in replies)
        latencies = [t for x in replies for t in x["latencies"]]
        if r == WARMUP:
            server_cpu = sum(cpu_seconds(p.pid) for p, _, _ in servers)
        if r >= WARMUP:
            figures["latencies"] += latencies
            figures["wall"] += wall
            figures["missing"] += missing
            figures["errors"] += errors
            figures["client_cpu"] += sum(x["cpu"] for x in replies)
            figures["messages"] += args.sessions
        step = "warm-up" if r < WARMUP else f"round {r - WARMUP + 1}/{args.rounds}"
        print(f"    {step}: {len(latencies):,} deliveries in {wall * 1000:,.0f} ms, p50 "
              f"{percentile(latencies, 50) * 1000 if latencies else float('nan'):.1f} ms"
              + (f", {missing} MISSING" if missing else "") + (f", errors: {errors[:2]}" if errors else ""),
              flush=True)
        if r < WARMUP and (missing or errors):
            raise RuntimeError(f"warm-up round {r + 1}: {missing} deliveries missing, errors {errors[:3]}")
    figures["server_cpu"] = sum(cpu_seconds(p.pid) for p, _, _ in servers) - server_cpu
    server_errors("during the rounds")
    return figures


def report(name, ours, bare):
    def ms(v):
        return f"{v * 1000:,.1f} ms"

    failed = [f"{who}: {f['failed']}" for who, f in (("evaluation", ours), ("bare echo", bare)) if "failed" in f]
    if failed:
        print(f"\n{name}: NO FIGURES, " + "; ".join(failed) + "\n", flush=True)
        return

    rows = []
    for label, key in (("delivery latency p50", 50), ("delivery latency p99", 99)):
        a, b = percentile(ours["latencies"], key), percentile(bare["latencies"], key)
        rows.append((label, ms(a), ms(b), ratio(a, b)))
    a, b = max(ours["latencies"]), max(bare["latencies"])
    rows.append(("delivery latency max", ms(a), ms(b), ratio(a, b)))
    a, b = len(ours["latencies"]) / ours["wall"], len(bare["latencies"]) / bare["wall"]
    rows.append(("deliveries per second (rounds' wall time)", f"{a:,.0f}", f"{b:,.0f}", ratio(a, b, 2)))
    a, b = ours["messages"] / ours["wall"], bare["messages"] / bare["wall"]
    rows.append(("client messages per second", f"{a:,.0f}", f"{b:,.0f}", ratio(a, b, 2)))
    a, b = ours["server_cpu"] / ours["messages"], bare["server_cpu"] / bare["messages"]
    rows.append(("server CPU per client message", ms(a), ms(b), ratio(a, b)))
    rows.append(("client CPU share of the rounds' wall time",
                 f"{ours['client_cpu'] / ours['wall']:.0%}", f"{bare['client_cpu'] / bare['wall']:.0%}", ""))
    rows.append(("all sockets open (wall) / one open+snapshot p99",
                 f"{ours['connect_wall']:.1f} s / {ours['connect_p99'] * 1000:,.0f} ms",
                 f"{bare['connect_wall']:.1f} s / {bare['connect_p99'] * 1000:,.0f} ms", ""))
    rows.append(("server CPU, sockets open and no message sent", f"{ours['idle_cpu']:.0%}", f"{bare['idle_cpu']:.0%}",
                 ""))
    rows.append(("handshakes the server dropped (tried again)", str(ours["retried"]), str(bare["retried"]), ""))
    rows.append(("sockets reached per client message", f"{len(ours['latencies']) / ours['messages']:.0f}",
                 f"{len(bare['latencies']) / bare['messages']:.0f}", ""))
    rows.append(("exceptions in the servers' logs", str(len(ours["server_errors"])), str(len(bare["server_errors"])), ""))
    rows.append(("deliveries measured / missing", f"{len(ours['latencies']):,} / {ours['missing']}",
                 f"{len(bare['latencies']):,} / {bare['missing']}", ""))
    print()
    print(f"{name:<44}{'evaluation':>22}{'bare echo':>22}{'ours/bare':>11}")
    for label, a, b, r in rows:
        print(f"{label:<44}{a:>22}{b:>22}{r:>11}")
    print(flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10, help="measured rounds (after 2 warm-up rounds)")
    parser.add_argument("--window", type=float, default=0.0,
                        help="seconds over which a round's messages are spread (default 0: all at once)")
    parser.add_argument("--regulators", type=int, default=0, choices=range(OBSERVERS + 1),
                        help="how many of the 5 observers are regulators instead of staff (they get no score events)")
    parser.add_argument("--layouts", default="1,2", help="1: one process, in-memory layer; 1r: one process, "
                        "Redis; 2: two processes, Redis (default 1,2)")
    parser.add_argument("--clients", type=int, default=1, help="client processes (default 1)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a round may take")
    parser.add_argument("--redis-max-connections", type=int, default=None,
                        help="TRIAL: the Redis channel layer's pool size per server (not the platform's setting)")
    parser.add_argument("--redis-capacity", type=int, default=None,
                        help="TRIAL: the Redis channel layer's capacity (not the platform's setting)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (the servers' logs)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (2 sessions, 2 rounds): does it still run?")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sessions, args.rounds = 2, 2
    layouts = [LAYOUTS[name.strip()] for name in args.layouts.split(",") if name.strip()]

    from records import pki

    begin = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench-evsock-"))
    wrong = False
    try:
        settings.MEDIA_ROOT, settings.PKI_DIR = tmp / "media", tmp / "pki"
        pki.create_authority(settings.PKI_DIR)
        print(f"database: {connection.vendor}; REDIS_URL: {settings.REDIS_URL or 'not set'}; "
              f"{os.cpu_count()} CPUs; files in {tmp}", flush=True)
        with throwaway_database("evsock", tmp):
            print(f"setting up {args.sessions} sessions × ({EXPERTS} experts + {OBSERVERS} observers)…", flush=True)
            started = time.perf_counter()
            sessions = build_sessions(args.sessions, EXPERTS, OBSERVERS, args.regulators)
            print(f"setup took {time.perf_counter() - started:.1f} s", flush=True)
            clients = Clients(sessions, args.clients)
            try:
                for processes, redis, name in layouts:
                    if redis and not settings.REDIS_URL:
                        print(f"\n{name}: SKIPPED, it needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/0)\n",
                              flush=True)
                        continue
                    trial = {key: str(value) for key, value in (
                        ("BENCH_REDIS_MAX_CONNECTIONS", args.redis_max_connections),
                        ("BENCH_REDIS_CAPACITY", args.redis_capacity)) if redis and value}
                    print(f"{name}: starting daphne{'s' if processes > 1 else ''}"
                          + (f" (TRIAL, not the platform's settings: {trial})" if trial else "")
                          + "; load average {:.1f} {:.1f} {:.1f}…".format(*os.getloadavg()), flush=True)
                    servers = start_servers(tmp, processes, redis, trial)
                    offsets = {}
                    try:
                        nonce = f"{os.getpid()}{processes}{int(redis)}"
                        bare = measure(clients, servers, "echo", args, nonce + "e", offsets)
                        ours = measure(clients, servers, "ours", args, nonce + "o", offsets)
                    finally:
                        stop_servers(servers)
                    report(f"{name} ({args.sessions * (EXPERTS + OBSERVERS):,} sockets)", ours, bare)
                    wrong = wrong or any("failed" in f or f["missing"] or f["errors"] or f["server_errors"]
                                         for f in (ours, bare))
            finally:
                clients.stop()
    finally:
        if args.keep:
            print(f"kept {tmp} (daphne-*.log: the servers' logs)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"whole benchmark {time.perf_counter() - begin:.0f} s")
    if wrong:
        print("WRONG: deliveries were missing, messages were refused or the servers logged errors (see above)")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
