"""Demo keys and sealed bids: each demo custodian and bidder gets a key file in the ignored demo/
folder, custodians are chosen for each tender before publication, demo bidders seal real bids, and the
demo custodians decrypt their shares with their key files to open a tender (run_opening).

The key folder outlives the database (a new DATABASE_URL, a deleted var/): key files found there are
registered in whatever database this runs against, so `load_demo` works on any database and any number
of times."""

import base64
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from accounts import actions as account_actions
from accounts.models import PublicKey, User
from sealedbid import ceremony
from sealedbid.envelope import PlainFile, seal
from sealedbid.keys import (
    BidderKeys,
    CustodianKeys,
    KeyFileError,
    dump_key_file,
    fingerprint,
    load_key_file,
    public_pem,
)

from . import actions
from .actions import opening
from .models import Tender, TenderCustodian

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "keys"
CUSTODIANS = ["custodian1", "custodian2", "custodian3", "custodian4", "custodian5"]
BIDDERS = ["bidder1", "bidder2", "bidder3", "bidder4"]


@dataclass(frozen=True)
class DemoKeys:
    keys: BidderKeys | CustodianKeys
    path: Path


def _rsa3072():
    """An RSA-3072 key as pycryptodome's type, made by OpenSSL (ten times faster)."""
    from Crypto.PublicKey import RSA
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return RSA.import_key(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))


def new_keys(kind):
    from Crypto.PublicKey import ECC

    if kind == "bidder":
        return BidderKeys(signing=ECC.generate(curve="P-256"), encryption=_rsa3072())
    return CustodianKeys(encryption=_rsa3072())


def _public_keys(keys):
    """(purpose, key) of every public key the platform must know for these keys."""
    if isinstance(keys, BidderKeys):
        return [("bid_signing", keys.signing), ("bid_encryption", keys.encryption)]
    return [("custodian", keys.encryption)]


def _read(path, kind):
    """The keys in `path`, or None when there is no usable key file of this kind there."""
    if not path.exists():
        return None
    try:
        return load_key_file(path.read_bytes(), kind=kind)
    except KeyFileError:
        return None


def _write(path, keys):
    """Write a new key file; a file it replaces is kept beside it as `<name>.json.replaced`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.replace(path.with_name(path.name + ".replaced"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(dump_key_file(keys))
    path.chmod(0o600)


def _registrations(keys):
    """{fingerprint: (user id, revoked at)} of those of the keys' public keys this database knows."""
    rows = PublicKey.objects.filter(fingerprint__in=[fingerprint(key) for _purpose, key in _public_keys(keys)])
    return {fp: (user_id, revoked) for fp, user_id, revoked in rows.values_list("fingerprint", "user_id", "revoked_at")}


def _keys_for(user, kind, directory):
    """The user's demo keys, registered in this database.

    A key file whose public keys this database has never seen (a new database) is registered as it is;
    one whose keys are known but revoked or held by someone else, or one that cannot be read without a
    passphrase, is replaced by new keys."""
    path = directory / f"{user.username}.json"
    keys = _read(path, kind)
    if keys is not None:
        known = _registrations(keys)
        if any(user_id != user.pk or revoked is not None for user_id, revoked in known.values()):
            keys = None
    if keys is None:
        keys, known = new_keys(kind), {}
        _write(path, keys)
    for purpose, key in _public_keys(keys):
        if fingerprint(key) not in known:
            account_actions.register_public_key(actor=user, purpose=purpose, pem=public_pem(key))
    return DemoKeys(keys, path)


def ensure_keys(directory=None):
    """Key files for the demo custodians and bidders, each registered; returns {username: DemoKeys}.
    Precondition: the demo accounts exist and the bidders' organizations are verified."""
    directory = Path(directory or DEMO_DIR)
    users = {u.username: u for u in User.objects.filter(username__in=CUSTODIANS + BIDDERS)}
    demo = {name: _keys_for(users[name], "custodian", directory) for name in CUSTODIANS}
    demo.update({name: _keys_for(users[name], "bidder", directory) for name in BIDDERS})
    return demo


def choose_custodians(staff, tender):
    users = list(User.objects.filter(username__in=CUSTODIANS).order_by("username"))
    missing = [u.username for u in users
               if not PublicKey.objects.filter(user=u, purpose="custodian", revoked_at__isnull=True).exists()]
    if missing:
        raise RuntimeError(f"demo custodians without keys: {missing}")
    actions.set_custodians(actor=staff, tender_id=tender.pk, user_ids=[u.pk for u in users], threshold=3)


def submit_demo_bid(tender, username, price_yuan, duration_days, keys):
    """A real sealed bid: sealed with the bidder's demo `keys` (BidderKeys), uploaded in parts, finalized."""
    user = User.objects.get(username=username)
    tender.refresh_from_db()
    body = (f"{user.organization.name} 投标文件(技术标与商务标)\n".encode() * 2000)
    out = io.BytesIO()
    seal(out, bid_letter={"price": price_yuan * 100, "duration_days": duration_days, "quality": "合格",
                          "validity_days": 90, "project_manager": user.full_name},
         files=[PlainFile("投标文件.pdf", io.BytesIO(b"%PDF-1.7\n" + body), len(body) + 9, "application/pdf")],
         tender_id=tender.code, opening_public_key=tender.opening_key.public_key_pem, bidder=keys,
         chunk_size=64 * 1024)
    data = out.getvalue()
    upload = actions.create_upload(actor=user, tender_id=tender.pk, size=len(data))
    part = 40_000
    for offset in range(0, len(data), part):
        chunk = data[offset:offset + part]
        actions.receive_part(actor=user, upload_id=upload.pk, offset=offset, stream=io.BytesIO(chunk),
                             length=len(chunk))
    return actions.finalize_upload(actor=user, upload_id=upload.pk, sha256=hashlib.sha256(data).hexdigest())


def run_opening(tender, host, demo_keys, regulator="city_regulator"):
    """The whole remote opening of `tender`, at its deadline (the caller has moved the clock there), as
    its attendees would run it: the clock closes bidding and opens the hall, host, supervisor, custodians
    and bidders sign in, the custodians decrypt their shares with their key files (as tools/custodian.py
    does) and release them, the bids are opened in-process (what the worker's task does), every bidder
    confirms the record read out, and the host closes the opening. The signed opening record is left to
    produce_opening_record: see trading.demo.sign_records."""
    actions.record_clock_stages(tender.pk)  # the clock task at the deadline: bids closed, the hall opens
    tender.refresh_from_db()
    if tender.status != Tender.Status.OPENING:
        raise RuntimeError(f"demo tender {tender.code} did not open: {tender.status}")
    bidders = list(User.objects.filter(organization__bids__tender=tender).distinct().order_by("username"))
    custodians = list(TenderCustodian.objects.filter(tender=tender).select_related("user").order_by("index"))
    for user in [host, User.objects.get(username=regulator), *(c.user for c in custodians), *bidders]:
        opening.sign_in_hall(actor=user, tender_id=tender.pk)
    for custodian in custodians[:tender.opening_key.threshold]:
        keys = demo_keys[custodian.user.username].keys
        share = ceremony.decrypt_share(base64.b64decode(custodian.encrypted_share), keys.encryption)
        opening.release_share(actor=custodian.user, tender_id=tender.pk, share_b64=base64.b64encode(share).decode())
    opening.open_bids(tender.pk)
    for user in bidders:
        opening.confirm_record(actor=user, tender_id=tender.pk)
    opening.close_opening(actor=host, tender_id=tender.pk)
