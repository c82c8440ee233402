"""Fixtures for records: experts with Chinese names and a produced evaluation report. The platform
PKI fixtures (`session_pki_dir`, `platform_pki`) live in tests/conftest.py, shared with trading."""

import itertools

import pytest

from records.render.samples import sample_evaluation_report
from tests.factories import PASSWORD

_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages are asserted by their English msgids, whatever catalog is installed later.
    (Pages choose their language from the language cookie: those tests set it at login.)"""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def make_expert(regions):
    """make_expert("张伟") → an evaluation expert whose full name is 张伟."""
    from accounts import actions

    def make(name, region_code="511900"):
        user = actions.create_user(actor=None, username=f"expert{next(_n)}", password=PASSWORD, full_name=name)
        actions.grant_role(actor=None, user=user, role="expert", region_code=region_code)
        return user

    return make


@pytest.fixture
def report_data():
    """A small but complete evaluation report: three experts, five bidders (one fails
    qualification), six criteria."""
    return sample_evaluation_report(bidders=5, experts=3, criteria=6)


@pytest.fixture
def committee(report_data, make_expert):
    return [make_expert(e.name) for e in report_data.experts]


@pytest.fixture
def produced_report(platform_pki, report_data, committee, regions):
    from records.actions import produce_record

    return produce_record("evaluation_report", report_data, tender_ref=report_data.tender_code,
                          signers=committee, region=regions["511921"])
