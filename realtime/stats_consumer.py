"""The statistics screen's socket (ws/statistics/): public and read-only. It tells the page that the numbers
changed, never what changed: the page then refetches /statistics/data.json, which applies the public view's
rules (no bid counts before a deadline, 招标投标法 art. 22).

It listens to the trading log's group (realtime.groups.LEDGER), where every append already sends a
`ledger.entry` after commit (ledger/chain.py), and forwards only the entries that move the statistics, as
`{"seq", "type": "stats.changed", "data": {"action"}}`; the entry itself never leaves the server."""

from django.utils.translation import gettext as _

from . import groups
from .protocol import ProtocolConsumer, error_reply

# The log actions that change a number of the statistics pages.
STATS_ACTIONS = frozenset({"tender.published", "tender.failed", "award.confirmed"})


class StatsConsumer(ProtocolConsumer):
    async def connect(self):
        await self.channel_layer.group_add(groups.LEDGER, self.channel_name)
        await self.accept()
        await self.send_json({"seq": 0, "type": "snapshot", "data": {}})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(groups.LEDGER, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.send_json(error_reply(content["id"], "read_only", _("The statistics are read-only.")))

    async def ledger_entries(self, event):
        """One `stats.changed` per counted action among the entries the sequencer hashed (the last of each)."""
        last = {data["action"]: data for data in event["data"]["entries"] if data["action"] in STATS_ACTIONS}
        for action, data in sorted(last.items(), key=lambda item: item[1]["seq"]):
            await self.send_json({"seq": data["seq"], "type": "stats.changed", "data": {"action": action}})
