"""A tender at its opening: published with 3 custodians (2 of 3 open it), bids from n bidders."""

import base64
import contextlib
import datetime
from dataclasses import dataclass, field

import time_machine
from django.test import Client
from django.utils import timezone

from sealedbid import ceremony
from tests.factories import make_custodians, make_tender, make_user
from tests.trading.bidding import bidder_with_keys, finalize, sealed_bid, upload
from trading import actions
from trading.models import TenderCustodian


@dataclass
class Scene:
    tender: object
    host: object
    custodians: list
    bidders: list
    outsider: object
    regulator: object
    bids: list = field(default_factory=list)
    _clock: datetime.datetime | None = None  # where the last after_deadline block ended

    def share(self, custodian):
        row = TenderCustodian.objects.get(tender=self.tender, user=custodian)
        plain = ceremony.decrypt_share(base64.b64decode(row.encrypted_share), custodian.private_key)
        return base64.b64encode(plain).decode()

    @contextlib.contextmanager
    def after_deadline(self, seconds=1):
        """Run the block `seconds` after the bid deadline, the clock ticking. Time never runs backwards
        between blocks: a later block starts where the previous one ended if that is later, so a
        share released in one block cannot carry a time after the close of the next (a slow machine
        made the first block outlast the second and the opening record refused the order)."""
        start = self.tender.bid_deadline + datetime.timedelta(seconds=seconds)
        if self._clock is not None and self._clock > start:
            start = self._clock
        with time_machine.travel(start, tick=True):
            try:
                yield
            finally:
                self._clock = timezone.now() + datetime.timedelta(milliseconds=1)


def opening_scene(n_bids=3, corrupt=()):
    """`corrupt`: indexes of bidders whose stored envelope gets damaged after acceptance (bidder's fault
    cannot be simulated once the signature was checked, so the file is damaged in storage instead)."""
    owner, host = make_user("tenderer", "511921"), make_user("staff", "511921", username=None)
    host.full_name = "王主持"
    host.save(update_fields=["full_name"])
    tender = make_tender(owner, "511921")
    custodians = make_custodians(3)
    actions.set_custodians(actor=host, tender_id=tender.pk, user_ids=[c.pk for c in custodians], threshold=2)
    actions.submit_tender(actor=owner, tender_id=tender.pk)
    actions.approve_tender(actor=host, tender_id=tender.pk)
    tender.refresh_from_db()
    scene = Scene(tender, host, custodians, [], bidder_with_keys(), make_user("regulator", "511921"))
    client = Client()
    for i in range(n_bids):
        bidder = bidder_with_keys()
        data, digest = sealed_bid(tender, bidder, price=(1000 + i) * 10_000_00,
                                  files=[(f"投标文件{i}.pdf", f"bid {i} ".encode() * 5000)])
        client.force_login(bidder)
        response = finalize(client, upload(client, tender, data), digest)
        assert response.status_code == 201, response.content
        scene.bidders.append(bidder)
        scene.bids.append(response.json())
    for i in corrupt:
        from django.core.files.storage import default_storage

        from trading.models import Bid

        bid = Bid.objects.get(pk=scene.bids[i]["id"])
        raw = bytearray(default_storage.open(bid.envelope).read())
        raw[len(raw) // 2] ^= 0xFF  # one byte of ciphertext
        with open(default_storage.path(bid.envelope), "wb") as f:
            f.write(bytes(raw))
    return scene
