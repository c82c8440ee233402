"""The client → server half of the docs/architecture.md §8 protocol, checked in one place for every socket.

A client message is a JSON object `{"id": "<1–64 chars>", "type": "<string>", "data": {...}}` (`data`
optional) in one text frame of at most MAX_FRAME_CHARS characters. Anything else — a binary frame, text
that is not JSON, JSON nested too deep to parse, a list, a non-string type — is answered
`{"type": "error", "code": "bad_message", ...}` (with the message's id when it has a valid one) and the
socket stays open: one broken client must not cost anyone their seat in the hall, and bad input is not a
server error (no 1011, no traceback in the log).

Every error reply carries its code twice: at the top (`code`) and in `data.code`, where the pages read it.
"""

import json
import logging

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The largest client message is an objection or an answer (2,000 characters, up to 12,000 once JSON
# escapes them) plus a list of ids: 64 KiB is ample, and bounds the parser's work before it starts.
MAX_FRAME_CHARS = 64 * 1024
MAX_ID_CHARS = 64


def error_reply(msg_id, code, detail):
    return {"type": "error", "id": msg_id, "code": code, "data": {"code": code, "detail": str(detail)}}


def valid_id(value):
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS


def parse_client_message(text_data, bytes_data=None):
    """Returns `(message, None)` for a well-formed message (with `data` defaulting to `{}`), else
    `(None, error_reply)`."""
    if text_data is None or bytes_data is not None:
        return None, error_reply(None, "bad_message", _("Messages are JSON text frames, not binary."))
    if len(text_data) > MAX_FRAME_CHARS:
        return None, error_reply(None, "bad_message",
                                 _("The message is too large (at most %(n)d characters).") % {"n": MAX_FRAME_CHARS})
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
        return None, error_reply(None, "bad_message", _("The message is not valid JSON."))
    if not isinstance(content, dict):
        return None, error_reply(None, "bad_message", _("A message is a JSON object."))
    msg_id = content.get("id")
    if not valid_id(msg_id):
        return None, error_reply(None, "bad_message",
                                 _("A message needs an id: a string of 1 to %(n)d characters.") % {"n": MAX_ID_CHARS})
    if not isinstance(content.get("type"), str):
        return None, error_reply(msg_id, "bad_message", _("A message needs a type, as a string."))
    data = content.get("data", {})
    if not isinstance(data, dict):
        return None, error_reply(msg_id, "bad_message", _("A message's data is a JSON object."))
    return {"id": msg_id, "type": content["type"], "data": data}, None


class ProtocolConsumer(AsyncJsonWebsocketConsumer):
    """Base of every consumer: checks each frame (above) before `receive_json` sees it, so subclasses
    get only `{"id": str, "type": str, "data": dict}`."""

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        message, error = parse_client_message(text_data, bytes_data)
        if error is not None:
            await self.send_json(error)
            return
        try:
            await self.receive_json(message, **kwargs)
        except StopConsumer:
            raise
        except Exception:
            # A bug, not bad input: log it, and answer instead of closing the socket with 1011.
            logger.exception("websocket message %s failed", message["type"])
            await self.send_json(error_reply(message["id"], "server_error",
                                             _("The server could not handle this message; try again.")))
