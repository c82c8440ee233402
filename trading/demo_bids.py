"""Demo keys and sealed bids: each demo custodian and bidder gets a key file in the ignored demo/
folder, custodians are chosen for each tender before publication, and demo bidders seal real bids."""

import hashlib
import io
from pathlib import Path

from django.conf import settings

from accounts import actions as account_actions
from accounts.models import PublicKey, User

from . import actions
from .sealing.envelope import PlainFile, seal
from .sealing.keys import BidderKeys, CustodianKeys, dump_key_file, load_key_file

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "keys"
CUSTODIANS = ["custodian1", "custodian2", "custodian3", "custodian4", "custodian5"]
BIDDERS = ["bidder1", "bidder2", "bidder3", "bidder4"]


def _rsa3072():
    """An RSA-3072 key as pycryptodome's type, made by OpenSSL (ten times faster)."""
    from Crypto.PublicKey import RSA
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return RSA.import_key(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))


def _keys_for(username, kind):
    """Load the user's demo key file, or make one and register its public keys."""
    from Crypto.PublicKey import ECC

    path = DEMO_DIR / f"{username}.json"
    user = User.objects.get(username=username)
    if path.exists():
        return user, load_key_file(path.read_bytes()), path
    keys = (BidderKeys(signing=ECC.generate(curve="P-256"), encryption=_rsa3072()) if kind == "bidder"
            else CustodianKeys(encryption=_rsa3072()))
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dump_key_file(keys))
    path.chmod(0o600)
    if kind == "bidder":
        account_actions.register_public_key(actor=user, purpose="bid_signing",
                                            pem=keys.signing.public_key().export_key(format="PEM"))
        account_actions.register_public_key(actor=user, purpose="bid_encryption",
                                            pem=keys.encryption.public_key().export_key().decode())
    else:
        account_actions.register_public_key(actor=user, purpose="custodian",
                                            pem=keys.encryption.public_key().export_key().decode())
    return user, keys, path


def ensure_keys():
    """Key files for the demo custodians and bidders; returns {username: path}."""
    paths = {}
    for name in CUSTODIANS:
        paths[name] = _keys_for(name, "custodian")[2]
    for name in BIDDERS:
        paths[name] = _keys_for(name, "bidder")[2]
    return paths


def choose_custodians(staff, tender):
    users = list(User.objects.filter(username__in=CUSTODIANS).order_by("username"))
    missing = [u.username for u in users if not PublicKey.objects.filter(user=u, purpose="custodian").exists()]
    if missing:
        raise RuntimeError(f"demo custodians without keys: {missing}")
    actions.set_custodians(actor=staff, tender_id=tender.pk, user_ids=[u.pk for u in users], threshold=3)


def submit_demo_bid(tender, username, price_yuan, duration_days):
    """A real sealed bid: sealed with the bidder's demo key, uploaded in parts, finalized."""
    user, keys, _path = _keys_for(username, "bidder")
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
