"""Channel-layer group names, in one place (ASCII only: the layers refuse anything else)."""

LEDGER = "ledger"


def evaluation_session(session_id):
    return f"evaluation-session-{session_id}"


def opening_hall(tender_id):
    return f"opening-hall-{tender_id}"


def tender(tender_id):
    return f"tender-{tender_id}"


def organization(organization_id):
    """A company's members (a bidder's clarification requests)."""
    return f"organization-{organization_id}"
