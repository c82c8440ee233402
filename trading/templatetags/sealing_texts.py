"""{% sealing_texts %}: the translated crypto error texts as a JSON block (id "sealing-texts") for
static/js/sealing-text.js, on every page that reads key files or sealed bids (bid panel, keys, hall).

A template tag rather than a view's context, so that the keys page (accounts) needs no import from trading.
"""

from django import template
from django.utils.html import json_script

from trading.sealing_messages import sealing_texts as texts

register = template.Library()


@register.simple_tag
def sealing_texts():
    return json_script(texts(), "sealing-texts")
