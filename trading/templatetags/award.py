"""{% award_panel tender as ap %}: the award panel's context for the current user (trading.award.panel)."""

from django import template

from trading.award.panel import panel

register = template.Library()


@register.simple_tag(takes_context=True)
def award_panel(context, tender):
    request = context.get("request")
    return panel(getattr(request, "user", None), tender)
