"""Every status, kind and category of the models has its OCDS mapping, to a code of the codelist (the copy
in trading/ocds/schema/codelists), and docs/ocds.md states each one."""

from pathlib import Path

import pytest

from trading.models import Amendment, Category, EvaluationMethod, OpenedBid, Tender
from trading.ocds import mapping
from trading.ocds.validate import codelist

DOC = (Path(__file__).resolve().parents[2] / "docs" / "ocds.md").read_text(encoding="utf-8")
BID_STATUSES = {"invited", "pending", "valid", "disqualified", "withdrawn"}  # the bids extension's bidStatus
NEVER_PUBLIC = {"draft", "submitted", "returned"}


def test_every_tender_status_has_a_code_of_tender_status():
    assert set(mapping.TENDER_STATUS) == set(Tender.Status.values)
    for status, code in mapping.TENDER_STATUS.items():
        if status in NEVER_PUBLIC:
            assert code is None, status  # never published, so never in a release
        else:
            assert code in codelist("tenderStatus"), status
        assert f"| `{status}` |" in DOC, status


def test_every_category_has_its_procurement_category_or_a_stated_absence():
    assert set(mapping.CATEGORY) == set(Category.values)
    for category, (code, details) in mapping.CATEGORY.items():
        assert code is None or code in codelist("procurementCategory"), category
        assert details, category
        assert f"| `{category}` |" in DOC, category
    assert mapping.PROCUREMENT_METHOD in codelist("method")
    assert set(mapping.SUBMISSION_METHOD) <= set(codelist("submissionMethod"))


def test_every_evaluation_method_has_an_award_criterion_that_is_not_deprecated():
    import csv

    with (Path(mapping.__file__).parent / "schema" / "codelists" / "awardCriteria.csv").open() as f:
        deprecated = {row["Code"] for row in csv.DictReader(f) if row["Deprecated"]}
    assert set(mapping.AWARD_CRITERIA) == set(EvaluationMethod.values)
    for method, (code, details) in mapping.AWARD_CRITERIA.items():
        assert code in codelist("awardCriteria") and code not in deprecated, method
        assert details and f"| `{method}` |" in DOC, method


def test_every_amendment_kind_and_release_action_has_a_release_tag():
    assert set(mapping.AMENDMENT_TAG) == set(Amendment.Kind.values)
    tags = set(codelist("releaseTag"))
    assert set(mapping.AMENDMENT_TAG.values()) <= tags
    for action, (tag, status) in mapping.RELEASE_ACTIONS.items():
        assert tag is None or tag in tags, action
        assert status in Tender.Status.values and mapping.TENDER_STATUS[status] is not None, action
        assert f"`{action}`" in DOC, action
    for kind in Amendment.Kind.values:
        assert f"| `{kind}` |" in DOC, kind


@pytest.mark.parametrize("outcome", OpenedBid.Outcome.values)
def test_every_opened_bid_outcome_has_a_bid_status(outcome):
    assert mapping.BID_STATUS[outcome] in BID_STATUSES
    assert f"| `{outcome}` |" in DOC


def test_award_statuses_and_party_roles_are_codes():
    assert set(mapping.CANDIDATE_STATUS.values()) <= set(codelist("awardStatus"))
    assert {"buyer", "procuringEntity", "tenderer", "supplier"} <= set(codelist("partyRole"))
    assert mapping.CURRENCY in codelist("currency")


@pytest.mark.parametrize("category", Category.values)
def test_a_tender_of_every_category_publishes_a_valid_release(client, regions, platform_pki, category):
    from tests.factories import make_tender, make_user
    from tests.ocds.conftest import releases_of
    from trading.ocds.validate import release_errors

    tender = make_tender(make_user("tenderer", "511921"), "511921", category=category,
                         publish_by=make_user("staff", "511921"))
    (release,) = releases_of(client, tender)
    assert release_errors(release) == []
    code, details = mapping.CATEGORY[category]
    assert release["tender"].get("mainProcurementCategory") == code
    assert release["tender"]["procurementMethodDetails"] == details
