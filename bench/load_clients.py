"""The load of bench_load.py: one asyncio process (aiohttp) holding the visitors, the bidders and the
experts' websockets, all on loopback, split between the server ports (visitor i, bidder i and socket k of a
session go to port (i or k) mod the number of ports: the trivial round-robin of two servers).

- A visitor arrives at a random moment of the window and views 4 to 6 pages (home, the tender list or the
  announcements, a tender's page, the statistics…), anonymous, with a think time between pages. At most
  `in_flight` visitor requests are in flight at once (a visitor waits for a slot before sending);
- a bidder, at its random moment before the deadline, creates an upload, sends its sealed envelope as one
  part and finalizes it, with its own API token; late bidders try after the deadline: some had created and
  sent their upload in time and only finalize late, the others start late;
- each live session's experts take turns sending `score.set` (think time between turns), and every
  committee socket of the session must receive the `sheet.progress` event it causes.

A latency is measured from the moment the request is sent (after the visitor's slot) to the whole answer
read. An error is a network failure, a timeout, an unexpected status, an event that never came or a socket
the server closed; a late bidder's `deadline_passed` refusal is what it expects, not an error.
"""

import asyncio
import json
import random
import time

from evaluation_socket_clients import RECEIVERS, outgoing, token_of

REQUEST_TIMEOUT = 30.0  # seconds for one request or one score event
# On-time bidders refused at the deadline, by when their finalize was sent.
DELIVERED_REFUSED = "finalize sent before the deadline, refused (the platform's fault)"
UPLOADED_TOO_LATE = "on time, but its upload ended after the deadline (servers too slow)"


class Figures:
    def __init__(self):
        self.latencies, self.counts, self.errors, self.samples = {}, {}, {}, []
        self.outcomes = {}  # bidder outcomes: "accepted" / "missed the deadline" / "late, refused" / ...
        self.accepted = []  # (organization id, receipt_no)
        self.late_refused, self.late_accepted = [], []

    def record(self, kind, seconds=None, error=None):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if error is not None:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.samples) < 12:
                self.samples.append(f"{kind}: {error}")
        elif seconds is not None:
            self.latencies.setdefault(kind, []).append(seconds)

    def outcome(self, name):
        self.outcomes[name] = self.outcomes.get(name, 0) + 1


class Load:
    def __init__(self, plan, ports, figures):
        self.plan, self.ports, self.figures = plan, ports, figures
        self.rng = random.Random(plan["seed"])
        self.t0 = None
        self.visitors_done = self.bidders_done = self.visitors_started = 0
        self.stop = asyncio.Event()

    def base(self, i):
        return f"http://127.0.0.1:{self.ports[i % len(self.ports)]}"

    async def at(self, seconds):
        """Sleep until `seconds` after the load started."""
        await asyncio.sleep(max(0.0, self.t0 + seconds - time.monotonic()))

    async def timed(self, kind, call, expect):
        """One request: (status, JSON body or None); its latency or its error recorded under `kind`."""
        import aiohttp

        start = time.perf_counter()
        try:
            async with call() as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.figures.record(kind, error=f"{type(exc).__name__}: {exc}"[:200])
            return None, None
        elapsed = time.perf_counter() - start
        body = None
        if response.content_type == "application/json":
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        if status in expect:
            self.figures.record(kind, elapsed)
        else:
            code = body.get("code") if isinstance(body, dict) else None
            self.figures.record(kind, error=f"HTTP {status} {code or ''}".strip())
        return status, body

    # --- visitors ---------------------------------------------------------------------------------------------

    def pages(self, rng):
        details = self.plan["tender_ids"]
        listing = rng.choice(["/tenders/", "/tenders/?page=2", "/tenders/?region=511921", f"/tenders/?q={'改造工程'}"])
        pages = [("home", "/"), ("tender list", listing), ("tender detail", f"/tenders/{rng.choice(details)}/")]
        if rng.random() < 0.5:
            pages.append(("announcements", "/announcements/"))
        if rng.random() < 0.5:
            pages.append(("statistics", "/statistics/"))
        pages.append(("tender detail", f"/tenders/{rng.choice(details)}/"))
        return pages

    async def visitor(self, i, http, slots):
        rng = random.Random(self.plan["seed"] * 100_003 + i)
        await self.at(rng.uniform(0, self.plan["window"]))
        self.visitors_started += 1
        think = self.plan["think"]
        for n, (kind, path) in enumerate(self.pages(rng)):
            if n:
                await asyncio.sleep(rng.uniform(*think))
            async with slots:
                await self.timed(kind, lambda p=path: http.get(self.base(i) + p, allow_redirects=False), {200})
        self.visitors_done += 1

    # --- bidders ----------------------------------------------------------------------------------------------

    async def bidder(self, i, spec, http, moment, late):
        """late: None (on time), "finalize" (upload in time, finalize late) or "start" (everything late)."""
        try:
            await self.bid(i, spec, http, moment, late)
        finally:
            self.bidders_done += 1

    async def bid(self, i, spec, http, moment, late):
        headers = {"Authorization": f"Token {spec['token']}", "Accept": "application/json",
                   "X-Client-Device": spec["device"]}
        base, window, tender = self.base(i), self.plan["window"], self.plan["tender"]
        late_at = window + self.rng.uniform(*self.plan["late_by"])
        kind = "late bidder" if late else "bid"
        await self.at(late_at if late == "start" else moment)
        expect_refusal = {409} if late == "start" else {201}
        status, body = await self.timed(f"{kind}: create upload", lambda: http.post(
            f"{base}/api/uploads/", json={"tender": tender, "size": len(spec["envelope"])}, headers=headers),
            expect_refusal)
        if late == "start":
            self.settle_late(spec, status, body)
            return
        if status != 201:
            self.figures.outcome("failed before finalize")
            return
        upload = body["id"]
        status, body = await self.timed(f"{kind}: send envelope", lambda: http.put(
            f"{base}/api/uploads/{upload}/parts/?offset=0", data=spec["envelope"],
            headers={**headers, "Content-Type": "application/octet-stream"}), {200})
        if status != 200:
            self.figures.outcome("failed before finalize")
            return
        if late:
            await self.at(late_at)
        sent = time.monotonic() - self.t0  # the deadline was set a moment before t0, `window` ahead
        status, body = await self.timed(f"{kind}: finalize", lambda: http.post(
            f"{base}/api/uploads/{upload}/finalize/", json={"sha256": spec["sha256"]}, headers=headers),
            {409} if late else {201, 409})
        if late:
            self.settle_late(spec, status, body)
        elif status == 201:
            self.figures.outcome("accepted")
            self.figures.accepted.append((spec["organization"], body["receipt_no"]))
        elif status == 409 and (body or {}).get("code") == "deadline_passed":
            # Sent before the deadline, the bid was delivered: refusing it is the platform's fault (招标投标法
            # art. 36). Sent after it, the bidder's upload itself ended too late: the servers were too slow.
            self.figures.outcome(DELIVERED_REFUSED if sent < window - 0.05 else UPLOADED_TOO_LATE)
        else:
            self.figures.outcome(f"refused: {(body or {}).get('code', status)}")

    def settle_late(self, spec, status, body):
        code = (body or {}).get("code") if isinstance(body, dict) else None
        if status == 409 and code == "deadline_passed":
            self.figures.late_refused.append(spec["organization"])
            self.figures.outcome("late, refused (deadline_passed)")
        else:
            self.figures.late_accepted.append((spec["organization"], status, code))
            self.figures.outcome(f"late, answered {status} {code}")

    # --- evaluation sessions -----------------------------------------------------------------------------------

    async def open_session(self, http, session, sockets, connect_gate):
        import aiohttp

        for spec in session["sockets"]:
            port = self.ports[(session["index"] + spec["k"]) % len(self.ports)]
            url = f"ws://127.0.0.1:{port}/ws/evaluation/{session['id']}/"
            async with connect_gate:
                start = time.perf_counter()
                try:
                    ws = await http.ws_connect(url, headers={"Cookie": spec["cookie"],
                                                             "Origin": f"http://127.0.0.1:{port}"},
                                               max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=10))
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self.figures.record("websocket: open + snapshot", error=f"{type(exc).__name__}: {exc}"[:200])
                    continue
                ready = asyncio.get_running_loop().create_future()
                sockets[session["index"], spec["k"]] = {"ws": ws, "ready": ready, "spec": spec,
                                                        "reader": asyncio.create_task(self.read(session, spec, ws,
                                                                                                 ready))}
                try:
                    await asyncio.wait_for(asyncio.shield(ready), REQUEST_TIMEOUT)
                    self.figures.record("websocket: open + snapshot", time.perf_counter() - start)
                except (TimeoutError, RuntimeError) as exc:
                    self.figures.record("websocket: open + snapshot", error=str(exc) or "no snapshot")

    async def read(self, session, spec, ws, ready):
        import aiohttp

        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.perf_counter()
            msg = json.loads(frame.data)
            if msg.get("type") == "snapshot" and not ready.done():
                ready.set_result(now)
            if msg.get("type") == "error":
                self.figures.record("score event", error=f"error frame {msg.get('code')} {msg.get('data')}"[:200])
            waiting = self.expecting.get(session["index"])
            if waiting and token_of("ours", msg) == waiting["token"] and spec["k"] in waiting["left"]:
                waiting["left"].discard(spec["k"])
                self.figures.record("score event (send → every committee socket)", now - waiting["sent"])
                if not waiting["left"]:
                    waiting["done"].set()
        if not ready.done():
            ready.set_exception(RuntimeError(f"closed before its snapshot, code {ws.close_code}"))
        elif not self.stop.is_set():
            self.figures.record("websocket: open + snapshot", error=f"closed by the server, code {ws.close_code}")

    async def scoring(self, session, sockets, rng):
        members = [s for s in session["sockets"] if s["role"] == "member"]
        receivers = {s["k"] for s in session["sockets"] if s["role"] in RECEIVERS["ours"]}
        r = 0
        while not self.stop.is_set():
            sender = members[r % len(members)]
            if (session["index"], sender["k"]) not in sockets:
                break
            msg, token = outgoing("ours", session, sender, r, self.plan["nonce"])
            left = {k for k in receivers if (session["index"], k) in sockets}
            waiting = {"token": token, "sent": time.perf_counter(), "left": left, "done": asyncio.Event()}
            self.expecting[session["index"]] = waiting
            await sockets[session["index"], sender["k"]]["ws"].send_str(json.dumps(msg))
            self.figures.record("score.set sent")
            try:
                await asyncio.wait_for(waiting["done"].wait(), REQUEST_TIMEOUT)
            except TimeoutError:
                for _ in waiting["left"]:
                    self.figures.record("score event (send → every committee socket)",
                                        error=f"no event on session {session['id']} within {REQUEST_TIMEOUT:.0f} s")
            self.expecting.pop(session["index"], None)
            r += 1
            await asyncio.sleep(rng.uniform(*self.plan["expert_think"]))

    # --- the run ----------------------------------------------------------------------------------------------

    async def progress(self):
        while True:
            await asyncio.sleep(self.plan["progress_every"])
            f = self.figures
            requests = sum(n for k, n in f.counts.items() if not k.startswith(("score", "websocket")))
            print(f"    t={time.monotonic() - self.t0:4.0f} s: visitors {self.visitors_started}/"
                  f"{len(self.plan['visitors'])} arrived, {self.visitors_done} done; bidders "
                  f"{self.bidders_done}/{len(self.plan['bidders'])} done ({f.outcomes.get('accepted', 0)} accepted); "
                  f"{requests:,} requests, {sum(f.errors.values())} errors; "
                  f"{f.counts.get('score.set sent', 0):,} score.set", flush=True)

    async def run(self, start_load):
        """Open the sessions' sockets, call `start_load()` (which sets the deadline and returns), run the load
        until every visitor and bidder is done, then close the sockets."""
        import aiohttp

        self.expecting = {}
        plan = self.plan
        visitors_http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                              cookie_jar=aiohttp.DummyCookieJar(),
                                              timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        bidders_http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                             cookie_jar=aiohttp.DummyCookieJar(),
                                             timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        sockets_http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                             cookie_jar=aiohttp.DummyCookieJar())
        sockets, tasks = {}, []
        try:
            n = sum(len(s["sockets"]) for s in plan["sessions"])
            if n:
                print(f"  opening {n} websockets of {len(plan['sessions'])} evaluation sessions…", flush=True)
                gate = asyncio.Semaphore(10)
                await asyncio.gather(*(self.open_session(sockets_http, s, sockets, gate) for s in plan["sessions"]))
                print(f"  {len(sockets)} websockets open", flush=True)
            await asyncio.to_thread(start_load)  # Django's database calls are not for the event loop
            self.t0 = time.monotonic()
            print(f"  load started: deadline in {plan['window']:.0f} s", flush=True)
            slots = asyncio.Semaphore(plan["in_flight"])
            rng = random.Random(plan["seed"])
            work = [asyncio.create_task(self.visitor(i, visitors_http, slots)) for i in range(len(plan["visitors"]))]
            on_time = [b for b in plan["bidders"] if not b.get("late")]
            for i, spec in enumerate(plan["bidders"]):
                moment = rng.uniform(0, plan["window"] - plan["margin"])
                work.append(asyncio.create_task(self.bidder(i, spec, bidders_http, moment, spec.get("late"))))
            scoring = [asyncio.create_task(self.scoring(s, sockets, random.Random(s["id"]))) for s in plan["sessions"]]
            tasks = work + scoring + [asyncio.create_task(self.progress())]
            print(f"  {len(plan['visitors'])} visitors, {len(on_time)} bidders on time and "
                  f"{len(plan['bidders']) - len(on_time)} late, {len(plan['sessions'])} sessions scoring", flush=True)
            await asyncio.gather(*work)
            self.stop.set()
            await asyncio.gather(*scoring, return_exceptions=True)
            return time.monotonic() - self.t0
        finally:
            self.stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(*(s["ws"].close() for s in sockets.values()), return_exceptions=True)
            readers = [s["reader"] for s in sockets.values()]
            if readers:
                _, stuck = await asyncio.wait(readers, timeout=15)
                for task in stuck:
                    task.cancel()
            for http in (visitors_http, bidders_http, sockets_http):
                await http.close()


def run(plan, ports, start_load, limit):
    """Runs the load for at most `limit` seconds (then cancels what is left: counted as cut off); returns
    (figures, wall seconds of the load, whether it was cut off)."""
    figures = Figures()
    load = Load(plan, ports, figures)

    async def bounded():
        try:
            return await asyncio.wait_for(load.run(start_load), limit), False
        except TimeoutError:
            return (time.monotonic() - load.t0 if load.t0 else limit), True

    wall, cut = asyncio.run(bounded())
    return figures, wall, cut
