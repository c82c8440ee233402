"""Websocket consumers. Thin: authenticate, ask accounts.permissions, join groups, hand messages
to actions. Protocol (docs/architecture.md §8): server → client `{"seq", "type", "data"}`, a `snapshot` first;
client → server `{"id", "type", "data"}` answered by `ack` or `error` with the same id."""

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from accounts.permissions import can
from ledger.queries import newest_seq, visible_between, visible_entries, visible_region_codes

from . import groups
from .events import entry_data
from .protocol import ProtocolConsumer, error_reply

CLOSE_FORBIDDEN = 4403


class LedgerConsumer(ProtocolConsumer):
    """Live tail of the trading log for regulators and staff, limited to their scope.

    Without `last_seq`: a `snapshot` of the newest entries, then live `ledger.entry` messages.
    With `?last_seq=N` (a client that reconnects): every visible entry after N, however many, in pages of
    REPLAY_PAGE — the `snapshot` (its `seq` the log head) and then `ledger.replay` messages, the last one
    with `"complete": true` — then live entries. Each entry reaches the client exactly once, in seq order."""

    SNAPSHOT_SIZE = 50
    REPLAY_PAGE = 500

    async def connect(self):
        user = self.scope.get("user")
        if not await database_sync_to_async(can)(user, "ledger.view", None):
            await self.accept()  # then close: a refusal before accepting reaches browsers only as 1006
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.visible_codes = await database_sync_to_async(visible_region_codes)(user)
        # Join before reading the log: what commits while we read arrives as events, deduplicated by seq.
        await self.channel_layer.group_add(groups.LEDGER, self.channel_name)
        await self.accept()
        last_seq = self._last_seq()
        if last_seq is None:
            head, entries = await database_sync_to_async(self._newest)(user)
            await self.send_json({"seq": head, "type": "snapshot", "data": {"entries": entries, "complete": True}})
            self.sent_through = head
        else:
            await self._replay(user, last_seq)

    def _last_seq(self):
        from urllib.parse import parse_qs

        values = parse_qs(self.scope.get("query_string", b"").decode()).get("last_seq")
        try:
            value = int(values[0]) if values else None
        except ValueError:
            return None
        return None if value is None or not 0 <= value < 2**63 else value

    def _newest(self, user):
        head = newest_seq()
        rows = list(visible_entries(user).filter(seq__lte=head).order_by("-seq")[: self.SNAPSHOT_SIZE])
        return head, [entry_data(e) for e in reversed(rows)]

    def _page(self, user, after, upto):
        return [entry_data(e) for e in visible_between(user, after, upto, self.REPLAY_PAGE)]

    async def _replay(self, user, last_seq):
        """Everything visible in (last_seq, head], one page in memory at a time. Live events that come
        meanwhile wait in the channel layer; ledger_entry drops those already replayed."""
        head = await database_sync_to_async(newest_seq)()
        after, kind = last_seq, "snapshot"
        while True:
            page = await database_sync_to_async(self._page)(user, after, head)
            complete = len(page) < self.REPLAY_PAGE
            seq = head if kind == "snapshot" else page[-1]["seq"] if page else after
            await self.send_json({"seq": seq, "type": kind, "data": {"entries": page, "complete": complete}})
            if complete:
                break
            after, kind = page[-1]["seq"], "ledger.replay"
        self.sent_through = max(head, last_seq)
        # The layer's queue holds a bounded number of events (100 by default) and drops the rest: read
        # what was appended during a long replay from the log itself.
        await self._catch_up(user, await database_sync_to_async(newest_seq)())

    async def _catch_up(self, user, upto):
        """Send the visible entries in (sent_through, upto] as live entries, from the log."""
        while self.sent_through < upto:
            page = await database_sync_to_async(self._page)(user, self.sent_through, upto)
            for data in page:
                await self.send_json({"seq": data["seq"], "type": "ledger.entry", "data": data})
            self.sent_through = page[-1]["seq"] if len(page) == self.REPLAY_PAGE else upto

    async def disconnect(self, code):
        await self.channel_layer.group_discard(groups.LEDGER, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """`content` was checked by ProtocolConsumer: a well-formed message, refused as the log is read-only."""
        await self.send_json(error_reply(content["id"], "read_only", _("The trading log is read-only.")))

    async def ledger_entries(self, event):
        """Entries the sequencer hashed, in order (realtime.events.send_ledger_entries): each goes on as a
        `ledger.entry` frame, as before, to a watcher allowed to see it."""
        for data in event["data"]["entries"]:
            await self.ledger_entry({"data": data})

    async def ledger_entry(self, event):
        data = event["data"]
        if data["seq"] <= self.sent_through:
            return  # already sent by the replay or a catch-up
        if data["seq"] > self.sent_through + 1:
            # Entries in between were dropped by a full queue or are still on their way from another
            # process: appends are serialized, so every earlier entry has committed; read them from the log.
            await self._catch_up(self.scope.get("user"), data["seq"])
            return
        self.sent_through = data["seq"]
        if self.visible_codes is None or data["region"] in self.visible_codes:
            await self.send_json({"seq": data["seq"], "type": "ledger.entry", "data": data})
