"""The evaluation session's websocket (docs/evaluation-session.md, docs/architecture.md §8). Thin: it authenticates, asks
evaluation.session_view who the viewer is, joins the session's group, sends a snapshot (or replays what a
reconnecting client missed, filtered by audience), and hands each client message to one action."""

import asyncio
import contextlib
import json
import random
from importlib import import_module
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from evaluation.models import EvaluationSession
from evaluation.session_view import presence, snapshot, viewer, visible

from . import groups
from .consumers import CLOSE_FORBIDDEN
from .events import stream_events_after
from .models import ClientMessage
from .protocol import ProtocolConsumer, error_reply

# type → (module of evaluation.actions, function, the data keys it takes). The values pass as the client sent
# them (a missing key as None): the actions check types, bounds, stage and role, with their own error codes.
ACTIONS = {
    "session.check_in": ("session", "check_in", ("member", "code", "id_last4")),
    "session.pause": ("session", "pause_session", ("reason",)),
    "session.resume": ("session", "resume_session", ()),
    "session.advance": ("session", "advance", ("minutes",)),
    "commitment.sign": ("session", "sign_commitment", ("conflicts",)),
    "leader.vote": ("session", "vote_leader", ("member",)),
    "qualification.vote": ("review", "vote_qualification", ("bid", "criterion", "passed", "reason")),
    "qualification.submit": ("review", "submit_qualification", ()),
    "score.set": ("review", "set_score", ("bid", "criterion", "points")),
    "sheet.submit": ("review", "submit_sheet", ()),
    "sheet.return": ("review", "return_sheet", ("member", "reason")),
    "extension.request": ("review", "request_extension", ("minutes", "reason")),
    "extension.agree": ("review", "agree_extension", ("extension",)),
    "ranking.agree": ("review", "agree_ranking", ()),
    "ranking.dissent": ("review", "write_dissent", ("text",)),
    "report.sign": ("review", "sign_report", ()),
    "report.retry": ("report", "retry_report", ()),
    "clarification.ask": ("clarify", "ask_clarification", ("bid", "question", "minutes")),
}
DEFAULTS = {"conflicts": []}  # "may be empty": a client may leave it out
PAGE = 5000  # stream_events_after's page


def _apply(user, session_id, msg_type, data):
    """Call the message's action; returns what the ack carries (JSON-safe). Raises DomainError."""
    module, name, keys = ACTIONS[msg_type]
    action = getattr(import_module(f"evaluation.actions.{module}"), name)
    kwargs = {key: data.get(key, DEFAULTS.get(key)) for key in keys}
    with transaction.atomic():  # a refusal undoes the action's writes, not the claim of the message id
        result = action(actor=user, session_id=session_id, **kwargs)
    return json.loads(json.dumps(result, cls=DjangoJSONEncoder)) if isinstance(result, dict) else {}


class EvaluationSessionConsumer(ProtocolConsumer):
    # Groups live in Redis: a Redis restarted or flushed under a live socket (or a socket open past the
    # group's one-day expiry) would leave it deaf without an error. It joins again this often, and reads
    # what it missed meanwhile from the stored stream.
    # Each re-join costs a database read per socket (1,200 idle sockets at 15 s took a quarter of a CPU in
    # bench/bench_evaluation_socket.py): a minute, spread by ±25 % so that sockets opened together do not
    # re-join together.
    REJOIN_SECONDS = 60
    viewer, joined, present, last_seq, rejoining = None, False, False, None, None

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:  # also when the channel layer failed (Redis restarted) and no disconnect came
            await self._absent()

    async def connect(self):
        self.user = self.scope.get("user")
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        self.group = groups.evaluation_session(self.session_id)
        self.viewer = await database_sync_to_async(self._viewer)()
        if self.viewer is None:
            # Accept, then close with 4403 (as the hall): a refusal before accepting reaches a browser
            # only as 1006, and the page would keep reconnecting.
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        await self.accept()
        if self.viewer.role == "member":
            self.present = True
            await database_sync_to_async(presence)(self.session_id, self.user, +1)
        self.last_seq = self._last_seq()  # a reconnecting page's last event: it gets what followed
        if self.last_seq is None:
            self.last_seq, data = await database_sync_to_async(self._snapshot)()
            await self.send_json({"seq": self.last_seq, "type": "snapshot", "data": data})
        else:
            await self._catch_up()
        self.rejoining = asyncio.create_task(self._rejoin())

    def _viewer(self):
        session = EvaluationSession.objects.select_related("tender__region").filter(pk=self.session_id).first()
        return None if session is None else viewer(session, self.user)

    def _snapshot(self):
        """`(seq, data)` from one view of the database: no event both in the snapshot and sent after it."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return snapshot(self.session_id, self.user)

    def _last_seq(self):
        value = parse_qs(self.scope.get("query_string", b"").decode()).get("last_seq", [""])[0]
        return int(value) if value.isascii() and value.isdigit() and int(value) < 2**63 else None

    async def _rejoin(self):
        while True:
            await asyncio.sleep(self.REJOIN_SECONDS * random.uniform(0.75, 1.25))  # noqa: S311 (timing jitter)
            with contextlib.suppress(Exception):  # Redis down: the layer's receive fails and ends the socket
                await self.channel_layer.group_add(self.group, self.channel_name)
                # Through the channel: handlers run one at a time, so the catch-up does not race an event.
                await self.channel_layer.send(self.channel_name, {"type": "stream.rejoined"})

    async def stream_rejoined(self, event):
        await self._catch_up()

    async def _catch_up(self, until=None):
        """Deliver the stored events after the last one delivered (up to `until`), in order."""
        while True:
            page = await database_sync_to_async(stream_events_after)(self.group, self.last_seq)
            for event in page:
                if until is not None and event["seq"] > until:
                    return
                await self._deliver(event)
            if len(page) < PAGE:
                return

    async def _deliver(self, event):
        """Send an event if this viewer may see it; the seq advances past it either way."""
        self.last_seq = event["seq"]
        if visible(event["data"], self.viewer):
            await self.send_json(event)
        if event["type"] == "member.removed" and event["data"].get("member") == self.viewer.member_id:
            # A member who declared a conflict leaves the committee and no longer hears its business.
            self.viewer = await database_sync_to_async(self._viewer)()
            if self.viewer is None:
                await self.close(code=CLOSE_FORBIDDEN)

    async def disconnect(self, code):
        await self._absent()
        if self.joined:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _absent(self):
        if self.rejoining is not None:
            self.rejoining.cancel()
        if self.present:
            self.present = False
            await database_sync_to_async(presence)(self.session_id, self.user, -1)

    async def receive_json(self, content, **kwargs):
        """`content` was checked by ProtocolConsumer: `{"id": str, "type": str, "data": dict}`."""
        await self.send_json(await database_sync_to_async(self._handle)(content))

    def _handle(self, content):
        """Apply a client message at most once: its id is claimed in the same transaction as the action."""
        msg_id, msg_type = content["id"], content["type"]
        if msg_type == "session.snapshot":
            seq, data = snapshot(self.session_id, self.user)
            return {"type": "ack", "id": msg_id, "data": {"seq": seq, "snapshot": data}}
        if self.viewer is None or self.viewer.role == "regulator":
            return error_reply(msg_id, "read_only", _("Regulators watch the session; they cannot act in it."))
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = ClientMessage.objects.create(user=self.user, stream=self.group, message_id=msg_id, reply={})
            except IntegrityError:  # a repeated id is answered, never applied twice
                return ClientMessage.objects.get(user=self.user, stream=self.group, message_id=msg_id).reply
            if msg_type not in ACTIONS:
                reply = error_reply(msg_id, "unknown_type", _("Unknown message type."))
            else:
                try:
                    reply = {"type": "ack", "id": msg_id,
                             "data": _apply(self.user, self.session_id, msg_type, content["data"])}
                except DomainError as exc:
                    reply = error_reply(msg_id, exc.code, exc.message)
            claim.reply = reply
            claim.save(update_fields=["reply"])
        return reply

    async def stream_event(self, event):
        """Events are numbered under a lock but sent after commit, so from several processes they may
        arrive out of order: drop what was delivered, fill a gap from the stored stream, never skip one."""
        data = event["data"]
        if self.last_seq is None or self.viewer is None or data["seq"] <= self.last_seq:
            return
        if data["seq"] > self.last_seq + 1:
            await self._catch_up(until=data["seq"])
            if data["seq"] <= self.last_seq:
                return
        await self._deliver(data)
