"""The bulk download: every release, one valid release per line, the same bytes as the export command."""

import asyncio
import json

import pytest
from django.core.management import call_command

from tests.ocds.conftest import jsonl
from trading.api_ocds import _aiter
from trading.ocds import validate


def test_the_dump_has_one_valid_release_per_line(client, awarded, amended, failed):
    lines, text = jsonl(client)
    assert text.endswith("\n") and "\n\n" not in text
    # awarded: 5 releases; amended then failed (one tender): announcement, 2 amendments, failure.
    assert len(lines) == len(text.splitlines()) == 5 + 4
    for release in lines:
        assert validate.release_errors(release) == [], release["id"]
    assert len({r["id"] for r in lines}) == len(lines)
    package = client.get("/api/ocds/releases/").json()["releases"]
    assert lines == package  # the same releases, in the same (log) order
    response = client.get("/api/ocds/releases.jsonl")
    assert response["Content-Disposition"] == 'attachment; filename="ocds-releases.jsonl"'
    assert response.streaming


def test_the_dump_goes_in_steps_and_takes_the_date_window(client, awarded, amended, failed):
    from trading.ocds import packages

    whole, _text = jsonl(client)
    steps = list(packages.jsonl_steps(batch=4))
    assert [count for count, _data in steps] == [4, 4, 1]
    assert b"".join(data for _count, data in steps).decode().splitlines() == [
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in whole]
    last = whole[-1]["date"]
    lines, _text = jsonl(client, since=last)
    assert [r["id"] for r in lines] == [r["id"] for r in whole if r["date"] >= last]


def test_the_export_command_writes_the_same_file(client, awarded, tmp_path, capsys):
    _lines, text = jsonl(client)
    target = tmp_path / "ocds.jsonl"
    call_command("export_ocds", str(target), "--validate")
    assert target.read_text(encoding="utf-8") == text
    assert not (tmp_path / "ocds.jsonl.tmp").exists()
    out = capsys.readouterr().out
    assert out.splitlines() == ["step 1: 5 releases (5 in all)", f"5 releases in 1 steps written to {target}"]


def test_the_export_command_refuses_a_bad_date_and_writes_nothing(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="since"):
        call_command("export_ocds", str(tmp_path / "x.jsonl"), "--since", "soon")
    assert list(tmp_path.iterdir()) == []


def test_an_asgi_server_gets_the_steps_as_they_come():
    async def collect():
        return [chunk async for chunk in _aiter(iter([(1, b"a\n"), (2, b"b\nc\n")]))]

    assert asyncio.run(collect()) == [b"a\n", b"b\nc\n"]


@pytest.mark.django_db(transaction=True)
def test_daphne_streams_the_same_dump_through_the_asgi_handler(client, published_tender):
    """Through Django's ASGI handler (daphne's path), the dump is an async iterator: sent step by step,
    never gathered in memory first."""
    from asgiref.sync import sync_to_async
    from django.db import connections
    from django.test import AsyncClient

    _lines, text = jsonl(client)

    async def fetch():
        response = await AsyncClient().get("/api/ocds/releases.jsonl")
        assert response.status_code == 200 and response.is_async
        body = b"".join([chunk async for chunk in response.streaming_content])
        # The handler's thread keeps its connection (CONN_MAX_AGE): close it, or the test database
        # cannot be dropped at the end of the run (PostgreSQL).
        await sync_to_async(connections.close_all, thread_sensitive=True)()
        return body

    assert asyncio.run(fetch()).decode() == text


def test_the_export_command_stops_at_an_invalid_release_and_leaves_no_file(published_tender, tmp_path, monkeypatch):
    from django.core.management.base import CommandError

    from trading.ocds import mapping

    monkeypatch.setitem(mapping.TENDER_STATUS, "published", "open")  # not a code of tenderStatus
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(CommandError, match="tender/status"):
        call_command("export_ocds", str(folder / "x.jsonl"), "--validate")
    assert list(folder.iterdir()) == []
