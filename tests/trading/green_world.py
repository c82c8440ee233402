"""Shared set-up for the green-channel tests: a county project with a submitted tender, its green
channel requested by the tenderer and approved by the county center, all through the actions."""

from django.db import transaction

from ledger import chain
from tests.factories import assign_custodians, make_tender, pdf_file
from trading import actions
from trading.actions import green


def submitted_tender(owner, region_code="511921", **terms):
    tender = make_tender(owner, region_code, **terms)
    assign_custodians(tender)
    actions.submit_tender(actor=owner, tender_id=tender.pk)
    tender.refresh_from_db()
    return tender


def request(owner, project, reason="major_investment", investment_fen=500_000_000_00):
    return green.request_green_channel(actor=owner, project_id=project.pk, reason=reason,
                                       investment_fen=investment_fen, evidence=pdf_file("立项批复.pdf"),
                                       explanation="省重点项目")


def approved(owner, staff, officer, deputy, project):
    req = request(owner, project)
    return green.decide_green_channel(actor=staff, request_id=req.pk, approve=True, reason="符合重大投资项目条件",
                                      officer_id=officer.pk, deputy_id=deputy.pk)


def log_stage(tender, action, **payload):
    """A stage entry in the trading log, as the opening, draw or evaluation actions append it."""
    with transaction.atomic():
        return chain.append(action, role="system", region=tender.region, tender_ref=tender.code,
                            payload={"tender": tender.pk, **payload})


def state(request, tender, kind):
    from trading.green import milestones

    rows = request.milestones.filter(tender=tender, kind=kind).select_related("tender")
    return milestones.states(rows)[0].state
