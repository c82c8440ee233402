"""Who may do what with expert draws (registered in accounts.permissions).

Rules take the draw's tender. Staff of the tender's region run draws; the regulator of the region
contributes the second secret (the only write a regulator makes anywhere: registered read_only so
that accounts.permissions.can lets a regulator-only user through, and the rule admits regulators
alone) and reads the drawn names; bidders and the public see nothing of a draw.
"""

from accounts.models import Role
from accounts.permissions import has_role, policy


@policy("draw.request")
def request_draw(user, tender):
    return has_role(user, Role.STAFF, tender.region)


@policy("draw.contribute", read_only=True)
def contribute_secret(user, tender):
    # docs/architecture.md §10: the on-duty regulator's secret makes the seed; nobody else may give it.
    return has_role(user, Role.REGULATOR, tender.region)


@policy("draw.reveal")
def reveal_draw(user, tender):
    return has_role(user, Role.STAFF, tender.region)


@policy("draw.view", read_only=True)
def view_draw(user, tender):
    """Seats, counts and statuses (staff); names too for regulators (evaluation.queries.draw_view)."""
    return has_role(user, Role.STAFF, tender.region) or has_role(user, Role.REGULATOR, tender.region)
