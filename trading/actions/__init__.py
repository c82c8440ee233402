"""Trading actions: every state change of projects, tenders and bids (docs/architecture.md §2).

Split by subject to keep files readable; import from here: `from trading import actions`.
"""

from .bids import (  # noqa: F401
    abandon_upload,
    create_upload,
    finalize_upload,
    receive_part,
    withdraw_bid,
)
from .calendar import (  # noqa: F401
    calendar_flags,
    confirm_calendar_year,
    missing_calendar_years,
    set_calendar_day,
)
from .tenders import (  # noqa: F401
    access_tender,
    add_document,
    amended_deadline_preview,
    answer_objection,
    approve_tender,
    create_project,
    create_tender,
    issue_amendment,
    raise_objection,
    record_clock_stages,
    return_tender,
    set_custodians,
    submit_tender,
    update_tender,
)
