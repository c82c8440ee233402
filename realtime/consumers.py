"""Websocket consumers. Thin: authenticate, ask accounts.permissions, join groups, hand messages
to actions. Protocol (DESIGN §8): server → client `{"seq", "type", "data"}`, a `snapshot` first;
client → server `{"id", "type", "data"}` answered by `ack` or `error` with the same id."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.permissions import can
from ledger.models import Entry
from ledger.queries import visible_entries, visible_region_codes

from . import groups
from .events import entry_data

CLOSE_FORBIDDEN = 4403


class LedgerConsumer(AsyncJsonWebsocketConsumer):
    """Live tail of the trading log for regulators and staff, limited to their scope.
    `?last_seq=N` replays the visible entries after N (a client that reconnects misses nothing)."""

    SNAPSHOT_SIZE = 50

    async def connect(self):
        user = self.scope.get("user")
        if not await database_sync_to_async(can)(user, "ledger.view", None):
            await self.accept()  # then close: a refusal before accepting reaches browsers only as 1006
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.visible_codes = await database_sync_to_async(visible_region_codes)(user)
        await self.channel_layer.group_add(groups.LEDGER, self.channel_name)
        await self.accept()
        last_seq = self._last_seq()
        entries, head_seq = await database_sync_to_async(self._snapshot)(user, last_seq)
        await self.send_json({"seq": head_seq, "type": "snapshot", "data": {"entries": entries}})

    def _last_seq(self):
        from urllib.parse import parse_qs

        values = parse_qs(self.scope.get("query_string", b"").decode()).get("last_seq")
        try:
            return int(values[0]) if values else None
        except ValueError:
            return None

    def _snapshot(self, user, last_seq):
        qs = visible_entries(user)
        if last_seq is not None:
            rows = list(qs.filter(seq__gt=last_seq).order_by("seq")[:1000])
        else:
            rows = list(qs.order_by("-seq")[: self.SNAPSHOT_SIZE])[::-1]
        head = Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        return [entry_data(e) for e in rows], head

    async def disconnect(self, code):
        await self.channel_layer.group_discard(groups.LEDGER, self.channel_name)

    async def receive_json(self, content, **kwargs):
        msg_id = content.get("id") if isinstance(content, dict) else None
        await self.send_json({"type": "error", "id": msg_id,
                              "data": {"code": "read_only", "detail": "the trading log is read-only"}})

    async def ledger_entry(self, event):
        data = event["data"]
        if self.visible_codes is None or data["region"] in self.visible_codes:
            await self.send_json({"seq": data["seq"], "type": "ledger.entry", "data": data})
