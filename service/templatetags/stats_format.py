"""Numbers in the statistics tables as people read them: 60,500,000 rather than 60500000.0."""

from django import template

register = template.Library()


@register.filter
def figure(value):
    """Digits grouped by thousands, at most two decimals, no trailing zeros; text and "—" unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text or "0"
