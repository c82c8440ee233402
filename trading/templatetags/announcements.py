"""{% tender_announcements tender %}: the tender's public announcements, in order (the tender page)."""

from django import template

from trading.announce.queries import tender_announcements as announcements_of

register = template.Library()


@register.inclusion_tag("trading/announcements/_tender_announcements.html")
def tender_announcements(tender):
    return {"announcements": announcements_of(tender)}
