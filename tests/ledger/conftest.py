import pytest


@pytest.fixture
def seal(platform_pki):
    """The platform seal registered as the tree heads' signer (RecordsConfig.ready() does it in the platform);
    the path of its certificate, as an outsider downloads it."""
    from records.tree_heads import register_tree_head_signer

    register_tree_head_signer()
    return platform_pki / "seal.pem"
