"""Sending realtime events after commit: the one helper domain actions call (docs/architecture.md §8, §2).

An event reaches sockets only once the transaction that caused it has committed, so no client
ever sees a change that was rolled back.
"""

from types import SimpleNamespace

from channels.layers import get_channel_layer
from django.db import transaction

from . import groups, sender

# Lists that tests register through realtime.testing.capture_events().
_sinks = []


def _send(group, message):
    for sink in _sinks:
        sink.append({"group": group, **message})
    layer = get_channel_layer()
    if layer is not None:
        sender.group_send(layer, group, message)


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


LEDGER_EVENT_ENTRIES = 200  # entries per message to the log's watchers


ENTRY_FIELDS = ("seq", "created_at", "actor_name", "role", "region_code", "tender_ref", "action", "payload", "hash")


def send_ledger_entries(rows):
    """The entries the sequencer has just hashed (in order, without gaps: ledger.sequencer), as rows of
    ENTRY_FIELDS, to the log's watchers once its transaction commits: one message per LEDGER_EVENT_ENTRIES
    of them, not one per append. Sent per append, from each action's own transaction, the events cost each
    append a round trip to the channel layer (the 8-writer rate halved with Redis, bench/bench_ledger.py),
    and reached watchers out of order whenever transactions committed out of order."""
    data = [entry_data(SimpleNamespace(**dict(zip(ENTRY_FIELDS, row, strict=True)))) for row in rows]
    for start in range(0, len(data), LEDGER_EVENT_ENTRIES):
        send_event_on_commit(groups.LEDGER, "ledger.entries", {"entries": data[start:start + LEDGER_EVENT_ENTRIES]})


def append_stream_event(stream_name, event_type, data):
    """Number and store an event of an ordered stream inside the caller's transaction, and send it to
    the stream's group after commit as `{"seq", "type", "data"}`. Returns the seq."""
    from .models import Stream, StreamEvent

    stream, _ = Stream.objects.get_or_create(name=stream_name)
    stream = Stream.objects.select_for_update().get(pk=stream.pk)
    stream.last_seq += 1
    stream.save(update_fields=["last_seq"])
    StreamEvent.objects.create(stream=stream, seq=stream.last_seq, type=event_type, data=data)
    send_event_on_commit(stream_name, "stream.event", {"seq": stream.last_seq, "type": event_type, "data": data})
    return stream.last_seq


def stream_events_after(stream_name, last_seq, limit=5000):
    from .models import StreamEvent

    return list(StreamEvent.objects.filter(stream__name=stream_name, seq__gt=last_seq).order_by("seq")
                .values("seq", "type", "data")[:limit])


def stream_head(stream_name):
    from .models import Stream

    return Stream.objects.filter(name=stream_name).values_list("last_seq", flat=True).first() or 0
