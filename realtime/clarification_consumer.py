"""A bidder's clarification requests, live (docs/evaluation-session.md; 实施条例 art. 52).

Thin: a bidder with a company joins its company's group (`organization-<id>`), gets a `snapshot` of
the requests still open, then `clarification.asked` / `clarification.answered` as they happen. The
socket is one-way: answers go through the workspace's HTTP form (they may carry a file), so every
client message is refused `read_only`. Nothing of the session itself reaches this socket.
"""

from channels.db import database_sync_to_async
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can

from . import groups
from .consumers import CLOSE_FORBIDDEN
from .protocol import ProtocolConsumer, error_reply


class ClarificationConsumer(ProtocolConsumer):
    group = None

    async def connect(self):
        user = self.scope.get("user")
        organization_id = await database_sync_to_async(self._organization)(user)
        if organization_id is None:
            await self.accept()  # then close: a refusal before accepting reaches browsers only as 1006
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Join before reading: a request asked meanwhile arrives as an event (the page dedupes by id).
        self.group = groups.organization(organization_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "snapshot", "data": await database_sync_to_async(self._snapshot)(organization_id)})

    @staticmethod
    def _organization(user):
        if user is None or not can(user, "clarification.list"):
            return None
        return user.organization_id

    @staticmethod
    def _snapshot(organization_id):
        from evaluation.actions.clarify import bidder_row, organization_clarifications

        now = timezone.now()
        rows = [bidder_row(c, now) for c in organization_clarifications(organization_id, open_only=True)]
        return {"now": now.isoformat(), "clarifications": rows}

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """`content` was checked by ProtocolConsumer; answers go through the HTTP form (files)."""
        await self.send_json(error_reply(content["id"], "read_only",
                                         _("Answer a clarification request with the form on the page.")))

    async def clarification_event(self, event):
        data = event["data"]
        await self.send_json({"type": f"clarification.{data['kind']}", "data": data["clarification"]})
