"""The workspace's service panel: `{% load service_workspace %}{% service_panel request.user %}`.
A template tag, so evaluation/workspace.py (below service) never imports service.

Staff and regulators: the open overdue items of their regions (a county its county, the city all) and,
for staff, the 不满意 ratings to answer. Tenderers, agencies and bidders: how many services they may rate."""

from django import template

from .. import queries

register = template.Library()
SHOWN = 20


@register.inclusion_tag("service/workspace_panel.html")
def service_panel(user):
    if not user.is_authenticated:
        return {}
    to_rate = sum(1 for *_x, rating in queries.rateable(user) if rating is None)
    return {"items": list(queries.overdue_items(user).order_by("due", "id")[:SHOWN]),
            "ratings": list(queries.ratings_to_answer(user)[:SHOWN]), "to_rate": to_rate,
            "supervises": bool(queries.supervised_region_ids(user))}
