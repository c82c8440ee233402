"""Regulators as witnesses: the console co-signs a head it checked as consistent with the last one the
regulator co-signed, and warns about a head that is not (a rolled-back or forked log). Through the HTTP
endpoint, then in a real browser (static/js/witness.js)."""

import json

import pytest
from playwright.sync_api import expect

from ledger import sth
from ledger.models import Cosignature, Entry
from tests.e2e.conftest import BrowserTestCase
from tests.ledger.test_merkle_reference import mth, proof
from tests.ledger.test_sth import append, forge_head, rewrite


def cosign(client, head, root=None):
    return client.post("/ledger/cosign/", json.dumps({"tree_size": head.tree_size, "root_hash": root or head.root_hash}),
                       content_type="application/json")


def test_a_regulator_cosigns_and_the_cosignature_is_logged(client, seal, tongjiang_regulator):
    append(4, region="511922")
    first = sth.publish()
    assert first.tree_size == Entry.objects.count()
    client.force_login(tongjiang_regulator)
    response = cosign(client, first)
    assert response.status_code == 200 and response.json()["tree_size"] == first.tree_size
    entry = Entry.objects.order_by("-seq").first()
    assert (entry.action, entry.region_code, entry.actor_id) == ("ledger.head_cosigned", "511921", tongjiang_regulator.pk)
    assert json.loads(entry.payload) == {"tree_size": first.tree_size, "root_hash": first.root_hash,
                                         "timestamp": first.timestamp, "checked_from": None}
    assert cosign(client, first).status_code == 200  # again: the same cosignature, nothing logged twice
    assert Entry.objects.count() == first.tree_size + 1 and Cosignature.objects.count() == 1
    second = sth.publish()  # the log grew by the cosignature itself
    assert cosign(client, second).status_code == 200
    later = Cosignature.objects.get(head=second)
    assert (later.witness, later.checked_from) == (tongjiang_regulator, first)
    assert json.loads(Entry.objects.order_by("-seq").first().payload)["checked_from"] == {
        "tree_size": first.tree_size, "root_hash": first.root_hash}


def test_only_regulators_cosign(client, seal, make_user, city_staff):
    bidder = make_user("bidder")
    append(2)
    head = sth.publish()
    assert cosign(client, head).status_code == 302  # to sign-in
    for user in (city_staff, bidder):
        client.force_login(user)
        response = cosign(client, head)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert client.get("/ledger/cosign/").status_code == 405
    assert not Cosignature.objects.exists() and Entry.objects.count() == head.tree_size


def test_a_head_unknown_or_with_another_root_or_bad_input_is_refused(client, seal, city_regulator):
    append(3)
    head = sth.publish()
    client.force_login(city_regulator)
    missing = client.post("/ledger/cosign/", {"tree_size": head.tree_size + 1, "root_hash": head.root_hash}, content_type="application/json")
    assert (missing.status_code, missing.json()["code"]) == (404, "no_such_head")
    other = cosign(client, head, root=mth([b"x"]).hex())  # the browser was shown another root: a split view
    assert (other.status_code, other.json()["code"]) == (409, "head_mismatch")
    for body, parameter in (({"tree_size": "x", "root_hash": head.root_hash}, "tree_size"),
                            ({"tree_size": head.tree_size, "root_hash": "ZZ"}, "root_hash")):
        response = client.post("/ledger/cosign/", body, content_type="application/json")
        assert (response.status_code, response.json()["parameter"]) == (400, parameter)
    assert client.post("/ledger/cosign/", "[1]", content_type="application/json").status_code == 400
    assert not Cosignature.objects.exists() and Entry.objects.count() == head.tree_size


def test_a_forked_head_is_refused_and_the_console_warns(client, seal, tongjiang_regulator, city_regulator):
    append(6, region="511921")
    honest = sth.publish()
    client.force_login(tongjiang_regulator)
    assert cosign(client, honest).status_code == 200
    rewrite(2, {"i": "forged"})
    forged = forge_head()
    response = cosign(client, forged)
    assert (response.status_code, response.json()["code"]) == (409, "inconsistent_head")
    assert Cosignature.objects.filter(head=forged).count() == 0
    page = client.get("/ledger/")
    assert page.context["witness"].consistent is False
    assert 'id="witness-server-warning"' in page.content.decode()
    # A regulator who never co-signed the honest head has nothing to compare with: no warning for them.
    client.force_login(city_regulator)
    assert client.get("/ledger/").context["witness"].consistent is True


def test_an_older_head_than_one_cosigned_is_refused(client, seal, city_regulator):
    append(2)
    older = sth.publish()
    append(2, start=2)
    newer = sth.publish()
    client.force_login(city_regulator)
    assert cosign(client, newer).status_code == 200
    response = cosign(client, older)
    assert (response.status_code, response.json()["code"]) == (409, "older_head")


def test_the_console_shows_the_head_and_still_only_the_county_entries(client, seal, tongjiang_regulator, city_staff):
    append(2, region="511921")
    append(2, start=2, region="511922")
    head = sth.publish()
    client.force_login(tongjiang_regulator)
    page = client.get("/ledger/")
    assert {e.region_code for e in page.context["page"]} == {"511921"}
    body = page.content.decode()
    assert head.root_hash in body and 'data-witness="1"' in body and "js/witness.js" in body
    client.force_login(city_staff)  # staff read the log and see the head, but are no witnesses
    body = client.get("/ledger/").content.decode()
    assert head.root_hash in body and 'data-witness="1"' not in body and "js/witness.js" not in body


# --- In a real browser --------------------------------------------------------------------------------

def _regulator():
    from tests.factories import make_user

    return make_user("regulator", "511921", username="witness_regulator")


def _grow_and_publish(n, start):
    append(n, start=start)
    return sth.publish().tree_size


def _fork():
    rewrite(3, {"i": "forged"})
    append(2, start=500)
    return forge_head().tree_size


def _vectors():
    """Consistency proofs of small trees, and the same with one hash changed (which must fail)."""
    cases = []
    for second in range(1, 18):
        leaves = [bytes([i]) for i in range(second)]
        for first in range(1, second + 1):
            path = [h.hex() for h in proof(first, leaves)]
            case = [first, second, mth(leaves[:first]).hex(), mth(leaves).hex(), path]
            cases.append([*case, True])
            if path:
                cases.append([first, second, case[2], case[3], ["00" * 32, *path[1:]], False])
    return cases


@pytest.mark.e2e
class TestWitnessInTheBrowser(BrowserTestCase):
    @classmethod
    def setUpClass(cls):
        from records.tree_heads import register_tree_head_signer

        register_tree_head_signer()  # before the server process is forked: it signs through the same hook
        super().setUpClass()

    def test_the_console_checks_cosigns_and_warns_about_a_fork(self):
        regulator = self.call(_regulator)
        first = self.call(_grow_and_publish, 5, 0)
        page = self.new_page()
        self.sign_in(page, regulator)
        page.goto("/ledger/")
        expect(page.locator("#witness-status")).to_contain_text(f"{first} 条")
        assert Cosignature.objects.get(witness=regulator).head.tree_size == first

        second = self.call(_grow_and_publish, 3, 5)
        page.reload()
        expect(page.locator("#witness-status")).to_contain_text(f"{second} 条")
        assert Cosignature.objects.get(witness=regulator, head__tree_size=second).checked_from.tree_size == first

        # WebCrypto agrees with the RFC on every small tree, and refuses a proof with a changed hash.
        results = page.evaluate("""async (cases) => {
            const { verifyConsistency } = await import("/static/js/witness.js");
            return Promise.all(cases.map((c) => verifyConsistency(c[0], c[1], c[2], c[3], c[4])));
        }""", _vectors())
        assert results == [case[-1] for case in _vectors()]

        forged = self.call(_fork)
        page.reload()
        alarm = page.locator("#witness-alarm")
        expect(alarm).to_be_visible()
        expect(alarm).to_contain_text(f"{forged} 条")
        expect(page.locator("#witness-server-warning")).to_have_count(0)  # the browser's own warning replaced it
        assert not Cosignature.objects.filter(head__tree_size=forged).exists()


def test_the_vectors_are_right():
    """The browser test's vectors: the RFC's own verifier accepts the good ones (ledger.merkle)."""
    from ledger import merkle

    for first, second, r1, r2, path, good in _vectors():
        assert merkle.verify_consistency(first, second, bytes.fromhex(r1), bytes.fromhex(r2),
                                         [bytes.fromhex(h) for h in path]) is good

