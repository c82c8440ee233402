"""The opening hall's websocket (docs/architecture.md §8 protocol). Thin: it authenticates, checks the permission
once, joins the hall's group, and hands each client message to one opening action.

It also keeps the socket's presence entry (realtime/presence.py: joined on connect, a heartbeat, left on
disconnect) and, for a socket that sent `presence.watch`, sends the board its user may see whenever that
changes (`{"type": "presence", "data": ...}`, no seq: presence is not part of the stored stream)."""

import asyncio
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from accounts.permissions import can

from . import groups, presence
from .consumers import CLOSE_FORBIDDEN
from .events import stream_events_after
from .models import ClientMessage
from .protocol import ProtocolConsumer, error_reply

logger = logging.getLogger(__name__)


def _handlers():
    from trading.actions import opening

    return {
        "hall.sign_in": lambda user, tender, data: opening.sign_in_hall(actor=user, tender_id=tender),
        "share.release": lambda user, tender, data: opening.release_share(
            actor=user, tender_id=tender, share_b64=str(data.get("share", ""))),
        "record.confirm": lambda user, tender, data: opening.confirm_record(actor=user, tender_id=tender),
        "record.object": lambda user, tender, data: opening.confirm_record(
            actor=user, tender_id=tender, objection_text=data.get("text", "")),
        "objection.answer": lambda user, tender, data: opening.answer_objection_on_spot(
            actor=user, confirmation_id=data.get("confirmation"), answer=data.get("answer", "")),
        "objections.answer": lambda user, tender, data: opening.answer_objections_on_spot(
            actor=user, tender_id=tender, confirmation_ids=data.get("confirmations"), answer=data.get("answer", "")),
        "record.window": lambda user, tender, data: opening.set_confirm_window(
            actor=user, tender_id=tender, minutes=data.get("minutes")),
        "opening.close": lambda user, tender, data: opening.close_opening(actor=user, tender_id=tender),
        # Asks for the presence board (below): no state changes, answered `ack` like the others.
        "presence.watch": lambda user, tender, data: None,
    }


# Hall events after which the presence board reads differently: bidders are named from the opening on;
# a custodian who released is marked so.
PRESENCE_EVENTS = {"opening.started", "opening.share_released"}


class OpeningHallConsumer(ProtocolConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.tender_id = self.scope["url_route"]["kwargs"]["tender_id"]
        self.group = groups.opening_hall(self.tender_id)
        self.last_seq = None
        self.heartbeat = None
        self.watching = False  # sent presence boards only after `presence.watch`
        self.board = None  # the last board sent, so an unchanged one is never sent again
        if not await database_sync_to_async(self._may_attend)():
            # Accept, then close with 4403: a refusal before accepting reaches a browser only as 1006,
            # and the page would keep reconnecting.
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        last_seq = self._last_seq()
        if last_seq is None:
            seq, data = await database_sync_to_async(self._snapshot)()
            self.last_seq = seq
            await self.send_json({"seq": seq, "type": "snapshot", "data": data})
        else:
            self.last_seq = last_seq
            await self._catch_up()
        if await database_sync_to_async(presence.join)(self.group, self.channel_name, self.user.pk):
            await self.channel_layer.group_send(self.group, {"type": "presence.changed"})
        self.heartbeat = asyncio.ensure_future(self._beat())

    async def _catch_up(self, until=None):
        """Send the stored events after the last one sent (up to `until`), in order."""
        for event in await database_sync_to_async(stream_events_after)(self.group, self.last_seq):
            if until is not None and event["seq"] > until:
                break
            await self.send_json(event)
            self.last_seq = event["seq"]

    def _may_attend(self):
        from trading.actions.opening import start_opening
        from trading.models import Tender

        tender = Tender.objects.select_related("region__parent").filter(pk=self.tender_id).first()
        if tender is None or not can(self.user, "opening.attend", tender):
            return False
        start_opening(tender.pk)  # the clock, not a person: past the deadline the hall opens now
        return True

    def _snapshot(self):
        from trading.hall import snapshot

        return snapshot(self.tender_id, self.user)

    def _last_seq(self):
        values = parse_qs(self.scope.get("query_string", b"").decode()).get("last_seq")
        try:
            return int(values[0]) if values else None
        except ValueError:
            return None

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            if await database_sync_to_async(presence.leave)(self.group, self.channel_name):
                await self.channel_layer.group_send(self.group, {"type": "presence.changed"})

    # --- presence: who is in the hall now (realtime/presence.py), never stored in the stream ----------------
    # Every socket counts as present; only those that sent `presence.watch` (the hall page) receive
    # `{"type": "presence", "data": board}` messages, without a seq: they are no events of the stream.

    async def _beat(self):
        """The heartbeat keeps this socket's entry alive and drops those of sockets whose process died."""
        while True:
            await asyncio.sleep(presence.HEARTBEAT_SECONDS)
            try:
                if await database_sync_to_async(presence.beat)(self.group, self.channel_name, self.user.pk):
                    await self.channel_layer.group_send(self.group, {"type": "presence.changed"})
            except Exception:  # the cache is down for a moment: beat again later, keep the socket
                logger.exception("presence heartbeat of %s failed", self.group)

    async def presence_changed(self, event):
        """Each socket computes the board its own user may see (bidders are secret before the opening),
        and sends it only when it differs from the last one it sent: an unchanged board tells a bidder
        nothing, not even that another bidder came in."""
        if not self.watching:
            return
        board = await database_sync_to_async(self._board)()
        if board != self.board:
            self.board = board
            await self.send_json({"type": "presence", "data": board})

    def _board(self):
        from trading.hall import presence_board

        return presence_board(self.tender_id, self.user, presence.user_ids(self.group))

    async def receive_json(self, content, **kwargs):
        """`content` was checked by ProtocolConsumer: `{"id": str, "type": str, "data": dict}`."""
        reply = await database_sync_to_async(self._handle)(content)
        await self.send_json(reply)
        if content["type"] == "presence.watch" and reply["type"] == "ack":
            self.watching, self.board = True, None
            await self.presence_changed({})

    def _handle(self, content):
        """Apply a client message at most once: its id is claimed in the same transaction as the action."""
        handler = _handlers().get(content["type"])
        data = content["data"]
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = ClientMessage.objects.create(user=self.user, stream=self.group,
                                                         message_id=content["id"], reply={})
            except IntegrityError:  # a repeated id is answered, never applied twice
                return ClientMessage.objects.get(user=self.user, stream=self.group, message_id=content["id"]).reply
            if handler is None:
                reply = error_reply(content["id"], "unknown_type", _("Unknown message type."))
            else:
                try:
                    handler(self.user, self.tender_id, data)  # each action is atomic: a refusal undoes only itself
                    reply = {"type": "ack", "id": content["id"], "data": {}}
                except DomainError as exc:
                    reply = error_reply(content["id"], exc.code, exc.message)
            claim.reply = reply
            claim.save(update_fields=["reply"])
        return reply

    async def stream_event(self, event):
        """Events are numbered under a lock but sent after commit, so from several processes they may
        arrive out of order: drop what was sent, fill a gap from the stored stream, never skip one."""
        data = event["data"]
        if self.last_seq is None or data["seq"] <= self.last_seq:
            return
        if data["seq"] > self.last_seq + 1:
            await self._catch_up(until=data["seq"])
            if data["seq"] <= self.last_seq:
                return
        await self.send_json(data)
        self.last_seq = data["seq"]
        if data["type"] in PRESENCE_EVENTS:  # bidders are named from now on; a custodian has released
            await self.presence_changed({})
