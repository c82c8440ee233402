"""The clients of bench_evaluation_socket.py: an asyncio load generator (aiohttp websockets) in worker
processes, driven through pipes by the benchmark's process.

Each worker holds whole sessions (the sender and the receivers of a session in the same process, so that a
latency is two readings of one clock). A round: every session's sender (the next member each round) sends
its message (at once, or at a random moment within `window` seconds); each receiving socket notes when the
event that message caused arrives; the round ends when every one has it, or after `limit` seconds.
"""

import asyncio
import json
import multiprocessing
import os
import random
import time

CONNECTING = 10  # websocket handshakes in flight per client process
RETRIES = 2  # a handshake the server dropped (daphne gives up on one not accepted within 5 s) is tried again
QUIET = 1.0  # seconds without a frame: the connection storm (snapshots, presence) is over

# A socket spec: {"session", "k" (0–11: members first), "role" (member | host | regulator), "cookie",
# "member" (member id or None)}; a session spec: {"index", "id", "bids", "criterion", "sockets": [...]}.


def outgoing(kind, session, spec, r, nonce):
    """(the message the sender sends in round r, the token that identifies its event)."""
    msg_id = f"{nonce}-{r}-{session['index']}"
    if kind == "echo":
        return {"id": msg_id, "type": "echo", "data": {"token": msg_id}}, msg_id
    bid = session["bids"][r % len(session["bids"])]
    points = f"{r % 40}.{r % 100:02d}"
    return ({"id": msg_id, "type": "score.set", "data": {"bid": bid, "criterion": session["criterion"],
                                                         "points": points}}, spec["member"])


def token_of(kind, msg):
    if kind == "echo":
        return msg.get("data", {}).get("data", {}).get("token") if msg.get("type") == "echo" else None
    return msg.get("data", {}).get("member") if msg.get("type") == "sheet.progress" else None


RECEIVERS = {"echo": {"member", "host", "regulator"}, "ours": {"member", "host"}}  # sheet.progress: committee


class Load:
    """One client process's sockets and the round in progress."""

    def __init__(self, sessions, kind, ports, nonce):
        self.sessions, self.kind, self.ports, self.nonce = sessions, kind, ports, nonce
        self.sockets = {}  # (session index, k) → websocket
        self.expect = {}  # session index → (token, sent_at, set of k still waiting)
        self.latencies, self.errors, self.pending, self.closing = [], [], 0, False
        self.readers, self.opened = [], []
        self.done = asyncio.Event()
        self.last_frame = time.perf_counter()

    def url(self, session, spec):
        port = self.ports[(session["index"] + spec["k"]) % len(self.ports)]
        path = (f"/ws/bench-echo/{session['id']}/" if self.kind == "echo"
                else f"/ws/evaluation/{session['id']}/")
        return port, f"ws://127.0.0.1:{port}{path}"

    def on_frame(self, session, spec, msg, now):
        self.last_frame = now
        if msg.get("type") == "error":
            self.errors.append(f"session {session['id']} socket {spec['k']}: {msg.get('code')} {msg.get('data')}")
        expected = self.expect.get(session["index"])
        if expected is None:
            return
        token, sent, waiting = expected
        if spec["k"] in waiting and token_of(self.kind, msg) == token:
            waiting.discard(spec["k"])
            self.latencies.append(now - sent)
            self.pending -= 1
            self.last_delivery = now
            if self.pending == 0:
                self.done.set()

    async def read(self, session, spec, ws, ready):
        import aiohttp

        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.perf_counter()
            msg = json.loads(frame.data)
            if not ready.done() and msg.get("type") == "snapshot":
                ready.set_result(now)
            self.on_frame(session, spec, msg, now)
        if not ready.done():
            ready.set_exception(RuntimeError(f"socket closed before its snapshot, code {ws.close_code}"))
        elif not self.closing:
            self.errors.append(f"session {session['id']} socket {spec['k']} closed by the server, code {ws.close_code}")

    async def connect(self, http):
        gate = asyncio.Semaphore(CONNECTING)
        times, total = [], sum(len(s["sockets"]) for s in self.sessions)

        async def one(session, spec):
            import aiohttp

            async with gate:
                port, url = self.url(session, spec)
                start = time.perf_counter()
                for attempt in range(RETRIES + 1):
                    try:
                        ws = await http.ws_connect(url, headers={"Cookie": spec["cookie"],
                                                                 "Origin": f"http://127.0.0.1:{port}"},
                                                   autoping=True, max_msg_size=0)
                        self.opened.append(ws)
                        break
                    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError, aiohttp.WSServerHandshakeError):
                        if attempt == RETRIES:
                            raise
                        self.retried += 1
                ready = asyncio.get_running_loop().create_future()
                if self.kind == "echo":
                    ready.set_result(None)
                self.readers.append(asyncio.create_task(self.read(session, spec, ws, ready)))
                await asyncio.wait_for(ready, 60)
                times.append(time.perf_counter() - start)
                self.sockets[session["index"], spec["k"]] = ws
                if len(times) % 300 == 0 or len(times) == total:
                    print(f"    [client {os.getpid()}] {len(times)}/{total} sockets open", flush=True)

        self.readers, self.opened, self.retried = [], [], 0
        start = time.perf_counter()
        tasks = [asyncio.create_task(one(s, spec)) for s in self.sessions for spec in s["sockets"]]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        wall = time.perf_counter() - start
        give_up = time.perf_counter() + 120
        while time.perf_counter() - self.last_frame < QUIET and time.perf_counter() < give_up:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        return {"connect_wall": wall, "connect": times, "retried": self.retried}

    async def round(self, r, window, limit, rng):
        self.latencies, self.expect, self.done = [], {}, asyncio.Event()
        self.pending = sum(1 for s in self.sessions for spec in s["sockets"] if spec["role"] in RECEIVERS[self.kind])
        first = [None]

        async def send(session):
            if window:
                await asyncio.sleep(rng.uniform(0, window))
            members = [spec for spec in session["sockets"] if spec["role"] == "member"]
            sender = members[r % len(members)]
            msg, token = outgoing(self.kind, session, sender, r, self.nonce)
            waiting = {spec["k"] for spec in session["sockets"] if spec["role"] in RECEIVERS[self.kind]}
            sent = time.perf_counter()
            first[0] = first[0] or sent
            self.expect[session["index"]] = (token, sent, waiting)
            await self.sockets[session["index"], sender["k"]].send_str(json.dumps(msg))

        self.last_delivery = None
        await asyncio.gather(*(send(s) for s in self.sessions))
        try:
            await asyncio.wait_for(self.done.wait(), limit)
        except TimeoutError:
            pass
        wall = (self.last_delivery or time.perf_counter()) - first[0]
        errors, self.errors = self.errors, []
        for session in self.sessions:
            waiting = self.expect[session["index"]][2]
            errors += [f"no event on session {session['id']} socket {k} ({session['sockets'][k]['role']})"
                       for k in sorted(waiting)]
        return {"latencies": self.latencies, "missing": self.pending, "wall": wall, "errors": errors[:5]}

    async def close(self):
        self.closing = True
        await asyncio.gather(*(ws.close() for ws in self.opened), return_exceptions=True)
        _, stuck = await asyncio.wait(self.readers, timeout=30) if self.readers else (None, [])
        for task in stuck:
            task.cancel()
        self.sockets, self.opened, self.readers = {}, [], []


def client_process(pipe, sessions):
    asyncio.run(_client(pipe, sessions))


async def _client(pipe, sessions):
    import aiohttp

    loop = asyncio.get_running_loop()
    rng = random.Random(os.getpid())
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        load = None
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            cpu = time.process_time()
            try:
                if command["cmd"] == "connect":
                    load = Load(sessions, command["kind"], command["ports"], command["nonce"])
                    reply = await load.connect(http)
                elif command["cmd"] == "round":
                    reply = await load.round(command["r"], command["window"], command["timeout"], rng)
                elif command["cmd"] == "close":
                    await load.close()
                    reply = {}
                else:
                    return
            except Exception as exc:  # reported by the main process, which stops the run
                reply = {"failed": f"{type(exc).__name__}: {exc}"}
            reply["cpu"] = time.process_time() - cpu
            pipe.send(reply)


class Clients:
    """`count` client processes, forked, holding the sessions between them; `ask` sends every one a command
    and returns their replies."""

    def __init__(self, sessions, count):
        from django.db import connections

        context = multiprocessing.get_context("fork")
        self.pipes, self.processes = [], []
        connections.close_all()  # no database connection crosses the fork
        for i in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=client_process, args=(theirs, sessions[i::count]), daemon=True)
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    def ask(self, command):
        for pipe in self.pipes:
            pipe.send(command)
        replies = [pipe.recv() for pipe in self.pipes]
        failed = [r["failed"] for r in replies if "failed" in r]
        if failed:
            raise RuntimeError(f"{command['cmd']} failed in a client: {failed[0]}")
        return replies

    def stop(self):
        for pipe in self.pipes:
            pipe.send({"cmd": "exit"})
        for process in self.processes:
            process.join(timeout=30)
