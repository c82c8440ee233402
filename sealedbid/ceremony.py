"""The opening-key ceremony (docs/sealed-bid-format.md §7): one RSA-3072 opening key per tender.

The private key is kept only encrypted under a random 256-bit key K, and K only as Shamir shares,
each encrypted to one key custodian. What create_opening_key returns is safe to store on the server:
with the database, the files and the server's secrets nobody can open a bid before k custodians
release their shares (which the server accepts only after the opening time).
"""

import hashlib
from dataclasses import dataclass

from Crypto.Cipher import AES
from Crypto.Protocol.SecretSharing import Shamir
from Crypto.PublicKey import RSA
from Crypto.Random import get_random_bytes

from .canonical import canonical_json
from .keys import RSA_BITS, b64, fingerprint, load_public_key, oaep, public_pem, unb64

CEREMONY_FORMAT = "sealed-bid-opening-key/1"
SHARE_SIZE = 33  # index byte ‖ 16-byte share of K[:16] ‖ 16-byte share of K[16:]
MAX_CUSTODIANS = 255  # the share index is one byte


class CeremonyError(Exception):
    """`code` is stable: insufficient_shares or wrong_shares (the subclasses)."""

    code = "ceremony_error"

    def __init__(self, message):
        super().__init__(message)


class InsufficientShares(CeremonyError):
    code = "insufficient_shares"


class WrongShares(CeremonyError):
    """A share that does not match its stored hash, or shares that do not rebuild the key."""

    code = "wrong_shares"


@dataclass(frozen=True)
class CustodianShare:
    index: int  # 1..n, the Shamir x coordinate
    custodian_key_fingerprint: str
    encrypted_share: bytes  # RSA-OAEP-SHA256 of the 33-byte plain share, to the custodian's key
    share_hash: str  # SHA-256 of the plain share, hex: checks a released share without revealing it


@dataclass(frozen=True)
class OpeningKeyCeremony:
    """The public result of the ceremony: all of it may be stored and published."""

    tender_ref: str
    threshold: int
    public_key_pem: str
    fingerprint: str
    encrypted_private_key: bytes  # AES-256-GCM under K: nonce (12) ‖ ciphertext ‖ tag (16)
    shares: tuple[CustodianShare, ...]

    def to_dict(self) -> dict:
        return {
            "encrypted_private_key": b64(self.encrypted_private_key),
            "fingerprint": self.fingerprint,
            "format": CEREMONY_FORMAT,
            "public_key_pem": self.public_key_pem,
            "shares": [
                {
                    "custodian_key_fingerprint": s.custodian_key_fingerprint,
                    "encrypted_share": b64(s.encrypted_share),
                    "index": s.index,
                    "share_hash": s.share_hash,
                }
                for s in self.shares
            ],
            "tender_ref": self.tender_ref,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "OpeningKeyCeremony":
        if data.get("format") != CEREMONY_FORMAT:
            raise ValueError(f"not a {CEREMONY_FORMAT} record")
        return cls(
            tender_ref=data["tender_ref"],
            threshold=data["threshold"],
            public_key_pem=data["public_key_pem"],
            fingerprint=data["fingerprint"],
            encrypted_private_key=unb64(data["encrypted_private_key"]),
            shares=tuple(
                CustodianShare(s["index"], s["custodian_key_fingerprint"], unb64(s["encrypted_share"]), s["share_hash"])
                for s in data["shares"]
            ),
        )


def _generate_rsa() -> RSA.RsaKey:
    """RSA-3072 made by OpenSSL (through `cryptography`): about ten times faster than pycryptodome's
    generator, which publication would otherwise wait on. Test vectors pass a randfunc instead."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return from_openssl(rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS))


def from_openssl(key) -> RSA.RsaKey:
    """A private key OpenSSL has just made, as pycryptodome's key object. Importing it through DER would
    test its primes again in Python (60 ms for RSA-3072): the numbers are taken as they are."""
    numbers = key.private_numbers()
    return RSA.construct((numbers.public_numbers.n, numbers.public_numbers.e, numbers.d, numbers.p, numbers.q),
                         consistency_check=False)


def share_hash(share: bytes) -> str:
    return hashlib.sha256(share).hexdigest()


def _private_key_aad(tender_ref, key_fingerprint, threshold) -> bytes:
    # Binds the encrypted key to its tender and public key: a record copied to another tender fails.
    return canonical_json(
        {"fingerprint": key_fingerprint, "format": CEREMONY_FORMAT, "tender_ref": tender_ref, "threshold": threshold}
    )


def create_opening_key(custodian_public_keys: list, threshold: int, tender_ref: str, *, randfunc=None):
    """Make a tender's opening key and hand K to the custodians, k of n (1 < k ≤ n ≤ 255).

    `custodian_public_keys`: RSA public keys (PEM or key objects) of at least 3072 bits, in share-index
    order. `randfunc` is for test vectors only. K, the plain shares and the private key exist only in
    this function's memory.
    """
    custodians = [load_public_key(k) if isinstance(k, str | bytes) else k for k in custodian_public_keys]
    n = len(custodians)
    if not (isinstance(threshold, int) and 1 < threshold <= n <= MAX_CUSTODIANS):
        raise ValueError(f"need 1 < threshold ≤ custodians ≤ {MAX_CUSTODIANS} (threshold {threshold}, {n} custodians)")
    for key in custodians:
        if not isinstance(key, RSA.RsaKey) or key.size_in_bits() < RSA_BITS:
            raise ValueError(f"custodian keys are RSA keys of at least {RSA_BITS} bits")
    if len({fingerprint(k) for k in custodians}) != n:
        raise ValueError("the same custodian key appears twice")
    if not isinstance(tender_ref, str) or not tender_ref:
        raise ValueError("tender_ref is a non-empty string")

    rand = randfunc or get_random_bytes
    opening_key = RSA.generate(RSA_BITS, randfunc=randfunc) if randfunc else _generate_rsa()
    key_fingerprint = fingerprint(opening_key)
    k_secret, nonce = rand(32), rand(12)
    cipher = AES.new(k_secret, AES.MODE_GCM, nonce=nonce)
    cipher.update(_private_key_aad(tender_ref, key_fingerprint, threshold))
    ciphertext, tag = cipher.encrypt_and_digest(opening_key.export_key(format="DER", pkcs=8))

    # Shamir in pycryptodome shares 16-byte secrets: each half of K, at the same x coordinates.
    first, second = Shamir.split(threshold, n, k_secret[:16]), Shamir.split(threshold, n, k_secret[16:])
    shares = []
    for key, (index, a), (index_b, b) in zip(custodians, first, second, strict=True):
        assert index == index_b  # noqa: S101 -- Shamir.split numbers shares 1..n
        plain = bytes([index]) + a + b
        shares.append(CustodianShare(index, fingerprint(key), oaep(key, rand).encrypt(plain), share_hash(plain)))
    return OpeningKeyCeremony(
        tender_ref=tender_ref,
        threshold=threshold,
        public_key_pem=public_pem(opening_key),
        fingerprint=key_fingerprint,
        encrypted_private_key=nonce + ciphertext + tag,
        shares=tuple(shares),
    )


def decrypt_share(encrypted_share: bytes, custodian_private_key) -> bytes:
    """What a custodian does with their key (the custodian CLI or the browser): the 33-byte plain share."""
    try:
        share = oaep(custodian_private_key).decrypt(encrypted_share)
    except ValueError as exc:
        raise WrongShares("this share was not encrypted to this custodian key") from exc
    if len(share) != SHARE_SIZE:
        raise WrongShares("a decrypted share is 33 bytes")
    return share


def check_share(ceremony: OpeningKeyCeremony, share: bytes) -> int:
    """The server's check when a custodian releases a share: its index, if it matches the stored hash."""
    if not isinstance(share, bytes) or len(share) != SHARE_SIZE:
        raise WrongShares(f"a share is {SHARE_SIZE} bytes")
    stored = {s.index: s for s in ceremony.shares}.get(share[0])
    if stored is None:
        raise WrongShares(f"no share has index {share[0]}")
    if share_hash(share) != stored.share_hash:
        raise WrongShares(f"share {share[0]} does not match its hash")
    return share[0]


def recover_opening_key(ceremony, plain_shares: list[bytes]) -> RSA.RsaKey:
    """Rebuild the opening private key from at least `threshold` plain shares (in memory only).

    Shamir.combine returns a wrong K, silently, from too few or altered shares; the count check and
    the hash of each share catch that first, and AES-GCM's tag would refuse a wrong K in any case.
    """
    if isinstance(ceremony, dict):
        ceremony = OpeningKeyCeremony.from_dict(ceremony)
    by_index = {}
    for share in plain_shares:
        by_index[check_share(ceremony, share)] = share
    if len(by_index) < ceremony.threshold:
        raise InsufficientShares(f"{len(by_index)} distinct shares given, {ceremony.threshold} needed")
    # combine() wants exactly k shares ("and no more"): take the k lowest indices.
    chosen = [by_index[i] for i in sorted(by_index)[: ceremony.threshold]]
    k_secret = Shamir.combine([(s[0], s[1:17]) for s in chosen]) + Shamir.combine([(s[0], s[17:]) for s in chosen])
    sealed = ceremony.encrypted_private_key
    cipher = AES.new(k_secret, AES.MODE_GCM, nonce=sealed[:12])
    cipher.update(_private_key_aad(ceremony.tender_ref, ceremony.fingerprint, ceremony.threshold))
    try:
        der = cipher.decrypt_and_verify(sealed[12:-16], sealed[-16:])
    except ValueError as exc:
        raise WrongShares("the shares do not rebuild the key of this opening-key record") from exc
    key = RSA.import_key(der)
    if fingerprint(key) != ceremony.fingerprint:
        raise WrongShares("the rebuilt key does not match the published opening key")
    return key
