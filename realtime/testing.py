"""Test helper: capture the realtime events that actions send."""

from contextlib import contextmanager

from django.test import TestCase

from . import events


@contextmanager
def capture_events():
    """Yields a list that receives every event sent while the block runs, in order.

    On-commit callbacks are executed when the block ends even inside a test's wrapping
    transaction, exactly as they would be after a real commit."""
    captured = []
    events._sinks.append(captured)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield captured
    finally:
        events._sinks.remove(captured)


def logged_entries(captured):
    """The trading log's entries among captured events (the sequencer sends them in batches)."""
    return [data for event in captured if event["type"] == "ledger.entries" for data in event["data"]["entries"]]
