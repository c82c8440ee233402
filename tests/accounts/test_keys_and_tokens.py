from Crypto.PublicKey import ECC

from accounts.models import ApiToken, PublicKey
from ledger.models import Entry
from tests.factories import rsa_key


def test_a_bidder_registers_keys_and_a_new_key_replaces_the_old(client, make_user):
    bidder = make_user("bidder")
    client.force_login(bidder)
    first = ECC.generate(curve="P-256").public_key().export_key(format="PEM")
    second = ECC.generate(curve="P-256").public_key().export_key(format="PEM")
    assert client.post("/api/keys/", {"purpose": "bid_signing", "pem": first},
                       content_type="application/json").status_code == 201
    assert client.post("/api/keys/", {"purpose": "bid_signing", "pem": second},
                       content_type="application/json").status_code == 201
    keys = PublicKey.objects.filter(organization=bidder.organization).order_by("created_at")
    assert [k.revoked_at is None for k in keys] == [False, True]
    assert Entry.objects.filter(action="key.registered").count() == 2


def test_weak_or_private_keys_are_refused(client, make_user):
    bidder = make_user("bidder")
    client.force_login(bidder)
    weak = rsa_key("weak2048", bits=2048).public_key().export_key().decode()
    private = rsa_key("priv").export_key().decode()
    for purpose, pem in [("bid_encryption", weak), ("bid_encryption", private), ("bid_signing", weak),
                         ("bid_signing", "not a key")]:
        response = client.post("/api/keys/", {"purpose": purpose, "pem": pem}, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (400, "invalid_key"), purpose
    assert not PublicKey.objects.exists()


def test_only_custodians_register_custodian_keys(client, make_user):
    client.force_login(make_user("bidder"))
    pem = rsa_key("cust-x").public_key().export_key().decode()
    response = client.post("/api/keys/", {"purpose": "custodian", "pem": pem}, content_type="application/json")
    assert response.status_code == 403


def test_a_token_authenticates_the_api_until_revoked(client, make_user):
    bidder = make_user("bidder")
    client.force_login(bidder)
    created = client.post("/api/tokens/", {"name": "CLI"}, content_type="application/json").json()
    token = created["token"]
    assert token.startswith("bzt_")
    row = ApiToken.objects.get()
    assert row.digest != token and token not in row.digest  # only the hash is stored
    anonymous = client.__class__()
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert anonymous.get("/api/keys/", **auth).status_code == 200
    client.delete(f"/api/tokens/{created['id']}/")
    response = anonymous.get("/api/keys/", **auth)
    assert (response.status_code, response.json()["code"]) == (401, "invalid_token")


def test_a_token_cannot_create_tokens(client, make_user):
    from accounts.actions import create_api_token

    _row, token = create_api_token(actor=make_user("bidder"), name="CLI")
    response = client.post("/api/tokens/", {"name": "more"}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code in (401, 403)
    assert ApiToken.objects.count() == 1


def test_the_security_page_renders_for_bidders_and_custodians(client, make_user):
    for role in ("bidder", "custodian"):
        client.force_login(make_user(role, org=None) if role == "custodian" else make_user(role))
        page = client.get("/accounts/security/")
        assert page.status_code == 200
        assert "密钥与令牌" in page.content.decode()


UNVERIFIED = ("尚未通过核验。单位由所在地区的交易中心（巴中市公共资源交易中心）工作人员核验；核验通过前，"
              "不能注册投标密钥，也不能上传投标文件。")


def test_an_unverified_company_cannot_register_bid_keys(client, unverified_bidder):
    client.force_login(unverified_bidder)
    entries = Entry.objects.count()
    signing = ECC.generate(curve="P-256").public_key().export_key(format="PEM")
    encryption = rsa_key("unverified-enc").public_key().export_key().decode()
    for purpose, pem in [("bid_signing", signing), ("bid_encryption", encryption)]:
        response = client.post("/api/keys/", {"purpose": purpose, "pem": pem}, content_type="application/json")
        assert response.status_code == 403, purpose
        assert response.json() == {"code": "organization_unverified",
                                   "detail": unverified_bidder.organization.name + UNVERIFIED}
    assert not PublicKey.objects.exists()
    assert Entry.objects.count() == entries


def test_once_staff_verify_the_company_it_registers_its_keys(client, unverified_bidder, city_staff):
    client.force_login(city_staff)
    client.post(f"/accounts/organizations/{unverified_bidder.organization_id}/verify/")
    client.force_login(unverified_bidder)
    pem = ECC.generate(curve="P-256").public_key().export_key(format="PEM")
    response = client.post("/api/keys/", {"purpose": "bid_signing", "pem": pem}, content_type="application/json")
    assert response.status_code == 201
    assert PublicKey.objects.get().organization == unverified_bidder.organization


def test_the_security_page_tells_an_unverified_company_who_verifies_it(client, unverified_bidder, make_user):
    client.force_login(unverified_bidder)
    body = client.get("/accounts/security/").content.decode()
    assert unverified_bidder.organization.name + UNVERIFIED in body
    assert 'id="generate-keys"' not in body
    client.force_login(make_user("bidder"))
    body = client.get("/accounts/security/").content.decode()
    assert UNVERIFIED not in body
    assert 'id="generate-keys"' in body


def test_a_self_registered_company_starts_unverified_and_cannot_register_keys(client, regions):
    from accounts.credit_code import make_code

    client.post("/accounts/register/", {
        "name": "巴中新注册建设有限公司", "region": "511921", "full_name": "测试人", "phone": "13800000000",
        "username": "newcomer", "password": "a-long-password-1", "credit_code": make_code("91511921MA6200009"),
    })
    pem = ECC.generate(curve="P-256").public_key().export_key(format="PEM")
    response = client.post("/api/keys/", {"purpose": "bid_signing", "pem": pem}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "organization_unverified")
    assert "通江县公共资源交易中心" in response.json()["detail"]
    assert not PublicKey.objects.exists()
