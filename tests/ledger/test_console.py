import pytest

from ledger import chain, csvsafe


def _log(region):
    chain.append_in_transaction("test.action", region=region, payload={"region": region})


def test_a_county_regulator_reads_only_the_county_log(client, tongjiang_regulator):
    _log("511921")
    _log("511922")
    client.force_login(tongjiang_regulator)
    page = client.get("/ledger/")
    assert page.status_code == 200
    regions = [e.region_code for e in page.context["page"]]
    assert "511921" in regions and "511922" not in regions


def test_the_city_regulator_reads_everything_and_verifies(client, city_regulator):
    _log("511921")
    _log("511922")
    client.force_login(city_regulator)
    page = client.get("/ledger/?verify=1")
    assert {"511921", "511922"} <= {e.region_code for e in page.context["page"]}
    assert page.context["verification"].ok
    assert "链条完整" in page.content.decode()


def test_the_export_is_csv_of_the_visible_entries(client, tongjiang_regulator, seal):
    import csv
    import io

    from ledger import sth

    _log("511921")
    _log("511922")
    sth.publish()  # the export holds the entries a signed tree head covers (tests/ledger/test_export_proofs.py)
    client.force_login(tongjiang_regulator)
    response = client.get("/ledger/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][:3] == ["seq", "time", "actor"]
    assert all(row[5] != "511922" for row in rows[2:-1])
    assert any(row[5] == "511921" for row in rows[2:-1])


def test_bidders_and_anonymous_users_cannot_read_the_log(client, make_user):
    assert client.get("/ledger/").status_code == 302  # to sign-in
    client.force_login(make_user("bidder"))
    assert client.get("/ledger/").status_code == 403
    assert client.get("/ledger/export.csv").status_code == 403


def test_the_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(client, city_regulator, seal):
    import csv
    import io

    from accounts.models import User
    from ledger import sth

    # Straight to the ORM: registration validates usernames, but names from before must still export safely.
    attacker = User.objects.create(username='=HYPERLINK("http://x","y")')
    chain.append_in_transaction("test.action", actor=attacker, region="511921", tender_ref="+T-1", payload={})
    sth.publish()
    client.force_login(city_regulator)
    body = b"".join(client.get("/ledger/export.csv").streaming_content).decode()
    row = list(csv.reader(io.StringIO(body)))[-2]  # the last entry; the manifest follows
    assert (row[3], row[6], row[7]) == ("'=HYPERLINK(\"http://x\",\"y\")", "'+T-1", "test.action")


@pytest.mark.parametrize(("cell", "written"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("通江县", "通江县"), ("a=b", "a=b"), ("", ""), (-5, -5), (None, None),
])
def test_neutralise_prefixes_only_text_that_starts_like_a_formula(cell, written):
    assert csvsafe.neutralise(cell) == written


def test_the_console_names_a_forged_entry_in_chinese(client, city_regulator):
    import html

    from tests.ledger.tampering import raw_sql

    seq = chain.append_in_transaction("test.action", region="511921", payload={"region": "511921"}).seq
    _log("511921")
    raw_sql("UPDATE ledger_entry SET payload = %s WHERE seq = %s", ['{"region":"FORGED","region":"511921"}', seq])
    client.force_login(city_regulator)
    page = client.get("/ledger/?verify=1")
    assert page.context["verification"].bad_seq == seq
    assert f"日志链在第 {seq} 条处断裂:该条的内容不是规范 JSON：键 \"region\" 重复出现。" in html.unescape(
        page.content.decode())
