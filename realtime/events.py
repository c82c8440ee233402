"""Sending realtime events after commit: the one helper domain actions call (DESIGN §2, §3).

An event reaches sockets only once the transaction that caused it has committed, so no client
ever sees a change that was rolled back.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import groups

# Lists that tests register through realtime.testing.capture_events().
_sinks = []


def _send(group, message):
    for sink in _sinks:
        sink.append({"group": group, **message})
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def send_event_on_commit(group, event_type, data, **extra):
    """Schedule `{"type": event_type, ...}` for `group` after the current transaction commits.
    Handlers in consumers are named after the type (`ledger.entry` → `ledger_entry`)."""
    message = {"type": event_type, "data": data, **extra}
    transaction.on_commit(lambda: _send(group, message))


def entry_data(entry):
    import json

    return {
        "seq": entry.seq,
        "time": entry.created_at.isoformat(),
        "actor": entry.actor_name,
        "role": entry.role,
        "region": entry.region_code,
        "tender": entry.tender_ref,
        "action": entry.action,
        "payload": json.loads(entry.payload),
        "hash": entry.hash,
    }


def send_ledger_entry(entry):
    send_event_on_commit(groups.LEDGER, "ledger.entry", entry_data(entry))
