"""The platform seal signs the trading log's tree heads (ledger.sth, docs/trading-log.md).

RSASSA-PKCS1-v1_5 with SHA-256 over the head's canonical JSON, with the seal's key (records.pki). The
ledger cannot import records; RecordsConfig.ready() registers this signer with it.
"""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from . import pki


class PlatformSealSigner:
    def fingerprint(self) -> str:
        return pki.cached_platform_seal().fingerprint

    def sign(self, data: bytes) -> bytes:
        # The cached seal: decrypting the key costs ~0.1 s, and publishing holds the tree's lock.
        return pki.cached_platform_seal().private_key.sign(data, PKCS1v15(), SHA256())

    def verify(self, data: bytes, signature: bytes, fingerprint: str) -> bool:
        """Only the current seal certificate is known: a head signed by an earlier seal does not verify."""
        seal = pki.platform_certificates()[1]
        if pki.fingerprint(seal) != fingerprint:
            return False
        try:
            seal.public_key().verify(signature, data, PKCS1v15(), SHA256())
        except InvalidSignature:
            return False
        return True


def register_tree_head_signer():
    from ledger.sth import register_signer

    register_signer(PlatformSealSigner())
