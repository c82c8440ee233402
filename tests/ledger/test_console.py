from ledger import chain


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


def test_the_export_is_csv_of_the_visible_entries(client, tongjiang_regulator):
    _log("511921")
    _log("511922")
    client.force_login(tongjiang_regulator)
    response = client.get("/ledger/export.csv")
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("seq,time,actor")
    assert all(",511922," not in line for line in lines[1:])
    assert any(",511921," in line for line in lines[1:])


def test_bidders_and_anonymous_users_cannot_read_the_log(client, make_user):
    assert client.get("/ledger/").status_code == 302  # to sign-in
    client.force_login(make_user("bidder"))
    assert client.get("/ledger/").status_code == 403
    assert client.get("/ledger/export.csv").status_code == 403
