"""The opening hall's websocket (docs/architecture.md §8 protocol). Thin: it authenticates, checks the permission
once, joins the hall's group, and hands each client message to one opening action."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from accounts.permissions import can

from . import groups
from .consumers import CLOSE_FORBIDDEN
from .events import stream_events_after
from .models import ClientMessage
from .protocol import ProtocolConsumer, error_reply


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
        "opening.close": lambda user, tender, data: opening.close_opening(actor=user, tender_id=tender),
    }


class OpeningHallConsumer(ProtocolConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.tender_id = self.scope["url_route"]["kwargs"]["tender_id"]
        self.group = groups.opening_hall(self.tender_id)
        self.last_seq = None
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

    async def receive_json(self, content, **kwargs):
        """`content` was checked by ProtocolConsumer: `{"id": str, "type": str, "data": dict}`."""
        reply = await database_sync_to_async(self._handle)(content)
        await self.send_json(reply)

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
