"""A client of the evaluation session's websocket for in-process tests (the real ASGI application: routing,
auth, origin check), and a fingerprint of everything a session's messages may write, to assert that a
refused message changed nothing."""

import itertools

from channels.db import database_sync_to_async

from tests.realtime.hall_client import connect_path

_ids = itertools.count(1)


def path(session_id, query=""):
    return f"/ws/evaluation/{session_id}/{query}"


class Page:
    """One person's socket to the session: keeps every numbered event it receives, in order."""

    def __init__(self, ws, snapshot):
        self.ws, self.snapshot, self.events = ws, snapshot, []

    @classmethod
    async def open(cls, user, session_id, last_seq=None):
        """Joins; without `last_seq` the snapshot is read first (`.snapshot`), with it the replay follows."""
        query = "" if last_seq is None else f"?last_seq={last_seq}"
        ws, connected, code = await connect_path(user, path(session_id, query))
        assert connected, code
        snapshot = None
        if last_seq is None:
            snapshot = await ws.receive_json_from(timeout=10)
            assert snapshot["type"] == "snapshot", snapshot
        return cls(ws, snapshot)

    async def ask(self, msg_type, data=None, msg_id=None):
        """Send a message and return its answer (events that arrive meanwhile are kept)."""
        msg_id = msg_id or f"m{next(_ids)}"
        await self.ws.send_json_to({"id": msg_id, "type": msg_type, "data": data or {}})
        while True:
            message = await self.ws.receive_json_from(timeout=10)
            if message.get("id") == msg_id and message["type"] in ("ack", "error"):
                return message
            self._keep(message)

    async def ok(self, msg_type, data=None, msg_id=None):
        reply = await self.ask(msg_type, data, msg_id)
        assert reply["type"] == "ack", (msg_type, data, reply)
        return reply["data"]

    async def drain(self, quiet=0.3):
        """Keep what arrives until the socket stays quiet; returns the events kept by this call."""
        start = len(self.events)
        while not await self.ws.receive_nothing(timeout=quiet):
            self._keep(await self.ws.receive_json_from(timeout=5))
        return self.events[start:]

    def _keep(self, message):
        assert "seq" in message and message["type"] not in ("ack", "error", "snapshot"), message
        self.events.append(message)

    def seqs(self):
        return [e["seq"] for e in self.events]

    def types(self):
        return [e["type"] for e in self.events]

    async def close(self):
        await self.ws.disconnect(timeout=10)  # the consumer's goodbye (presence) reaches the database


async def refused_at_connect(user, session_id):
    """True when the socket was accepted only to be closed with 4403, having received nothing else."""
    ws, connected, _ = await connect_path(user, path(session_id))
    assert connected is True
    closed = await ws.receive_output(timeout=5)
    nothing_after = await ws.receive_nothing(timeout=0.3)
    return closed == {"type": "websocket.close", "code": 4403} and nothing_after


@database_sync_to_async
def stored_events(session_id, after=0, audiences=("all", "committee", "staff"), upto=None):
    """The session's stored events in (after, upto] whose audience is one of `audiences`, as sent."""
    from realtime import groups
    from realtime.events import stream_events_after

    return [e for e in stream_events_after(groups.evaluation_session(session_id), after)
            if e["data"].get("audience", "all") in audiences and (upto is None or e["seq"] <= upto)]


MEMBER_SEES = ("all", "committee")
REGULATOR_SEES = ("all", "staff")


@database_sync_to_async
def state(session_id):
    """Every row a session message may write (the session, its members, votes, scores, results, extensions,
    clarifications), its stream's head and the trading log's length."""
    from evaluation.models import (
        BidResult,
        Clarification,
        EvaluationSession,
        ExtensionRequest,
        LeaderVote,
        Member,
        QualificationVote,
        Score,
    )
    from ledger.models import Entry
    from realtime import groups
    from realtime.events import stream_head
    from trading.models import Tender

    return {
        "session": list(EvaluationSession.objects.filter(pk=session_id).values()),
        "tender": list(Tender.objects.filter(evaluation_session__pk=session_id).values("status")),
        "members": list(Member.objects.filter(session_id=session_id).order_by("pk").values()),
        "leader_votes": list(LeaderVote.objects.filter(session_id=session_id).order_by("pk").values()),
        "qualification": list(QualificationVote.objects.filter(member__session_id=session_id).order_by("pk").values()),
        "scores": list(Score.objects.filter(member__session_id=session_id).order_by("pk").values()),
        "results": list(BidResult.objects.filter(session_id=session_id).order_by("pk").values()),
        "extensions": list(ExtensionRequest.objects.filter(session_id=session_id).order_by("pk").values()),
        "clarifications": list(Clarification.objects.filter(session_id=session_id).order_by("pk").values()),
        "stream_head": stream_head(groups.evaluation_session(session_id)),
        "log_length": Entry.objects.count(),
    }
