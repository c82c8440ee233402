from django import template

register = template.Library()


@register.filter
def yuan(fen):
    """Integer fen → "1,234,567.89" (money is stored as integer fen, shown in yuan)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"
