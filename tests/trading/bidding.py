"""Helpers for sealed-bid tests: a published tender with custodians, a bidder with keys, sealing."""

import hashlib
import io

from sealedbid.envelope import PlainFile, seal
from sealedbid.keys import BidderKeys
from tests.factories import make_tender, make_user, register_bidder_keys


def published_tender(**overrides):
    owner = make_user("tenderer", "511921")
    staff = make_user("staff", "511921")
    return make_tender(owner, "511921", publish_by=staff, **overrides)


def bidder_with_keys(region="511900"):
    bidder = make_user("bidder", region)
    signing, encryption = register_bidder_keys(bidder)
    bidder.keys = BidderKeys(signing=signing, encryption=encryption)
    return bidder


def sealed_bid(tender, bidder, *, price=9_800_000_00, files=None, chunk_size=64 * 1024):
    """The envelope bytes and their SHA-256."""
    files = files if files is not None else [("投标文件.pdf", b"%PDF-1.7 bid body " * 2000)]
    out = io.BytesIO()
    info = seal(out, bid_letter={"price": price, "duration_days": 365, "quality": "合格", "validity_days": 90},
                files=[PlainFile(name, io.BytesIO(data), len(data), "application/pdf") for name, data in files],
                tender_id=tender.code, opening_public_key=tender.opening_key.public_key_pem, bidder=bidder.keys,
                chunk_size=chunk_size)
    data = out.getvalue()
    assert hashlib.sha256(data).hexdigest() == info.sha256
    return data, info.sha256


def upload(client, tender, data, *, part_size=50_000):
    """Create, send parts, return the upload id (not finalized)."""
    response = client.post("/api/uploads/", {"tender": tender.pk, "size": len(data)}, content_type="application/json")
    assert response.status_code == 201, response.content
    upload_id = response.json()["id"]
    for offset in range(0, len(data), part_size):
        part = data[offset:offset + part_size]
        r = client.put(f"/api/uploads/{upload_id}/parts/?offset={offset}", part,
                       content_type="application/octet-stream")
        assert r.status_code == 200, r.content
    return upload_id


def finalize(client, upload_id, sha256):
    return client.post(f"/api/uploads/{upload_id}/finalize/", {"sha256": sha256}, content_type="application/json")


def submit(client, tender, bidder, **kwargs):
    data, digest = sealed_bid(tender, bidder, **kwargs)
    client.force_login(bidder)
    response = finalize(client, upload(client, tender, data), digest)
    assert response.status_code == 201, response.content
    return response.json()
