"""Nothing secret before the opening (招标投标法 art. 22): no release, record or dump names a bidder or
says how many there are until the host closes the opening; then the opening record is public."""


from tests.ocds.conftest import jsonl, releases_of
from trading.actions import opening
from trading.ocds.build import ocid


def _everything(client, tender):
    """Every byte the open data serves about `tender`: the record, the package and the dump."""
    record = client.get(f"/api/ocds/records/{ocid(tender.code)}/").content.decode()
    package = client.get("/api/ocds/releases/").content.decode()
    _lines, dump = jsonl(client)
    return record + package + dump


def _secrets(scene):
    orgs = [b.organization for b in scene.bidders]
    return [o.name for o in orgs] + [o.credit_code for o in orgs] + ["tenderers", "numberOfTenderers", '"bids"']


def test_no_bidder_is_named_or_counted_before_the_opening_is_closed(client, regions, platform_pki):
    from tests.realtime.opening_setup import opening_scene

    scene = opening_scene(3)
    tender = scene.tender
    text = _everything(client, tender)  # bidding: three sealed bids are in
    assert [s for s in _secrets(scene) if s in text] == []

    with scene.after_deadline():
        opening.start_opening(tender.pk)
        for custodian in scene.custodians[:2]:
            opening.release_share(actor=custodian, tender_id=tender.pk, share_b64=scene.share(custodian))
        opening.open_bids(tender.pk)
        text = _everything(client, tender)  # decrypted, being read out: the record is not closed yet
        assert [s for s in _secrets(scene) if s in text] == []
        assert len(releases_of(client, tender)) == 1

        opening.close_opening(actor=scene.host, tender_id=tender.pk)
        text = _everything(client, tender)
    assert [s for s in _secrets(scene) if s not in text] == []  # the opening record is public now


def test_a_failed_tender_counts_its_bids_but_names_no_one(client, failed):
    from trading.models import Bid

    (bid,) = Bid.objects.filter(tender=failed)
    text = _everything(client, failed)
    assert bid.organization.name not in text and bid.organization.credit_code not in text
    assert releases_of(client, failed)[-1]["tender"]["numberOfTenderers"] == 1
