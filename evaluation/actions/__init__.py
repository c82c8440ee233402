"""Evaluation actions: every write of the evaluation app goes through here (README: actions own writes)."""

from . import review, session  # noqa: F401,E402  (the evaluation session: docs/evaluation-session.md)
from .draw import (  # noqa: F401  (the expert draw)
    contribute_regulator_secret,
    expire_unanswered,
    request_draw,
    respond_to_seat,
    reveal_draw,
    verify_draw_record,
)
from .pool import (  # noqa: F401  (the expert pool and venues)
    create_expert,
    create_venue,
    import_experts,
    link_account,
    reinstate_expert,
    retire_expert,
    suspend_expert,
    update_expert,
    update_venue,
)
