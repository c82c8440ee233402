"""{% hall_texts %}: the opening hall's texts for static/js/hall.js (presence board, the objection and
answer forms, the confirmation window, decryption progress) as a JSON block (id "hall-texts"), beside the
view's `hall.messages`."""

from django import template
from django.utils.html import json_script
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from trading.actions.opening import MAX_TEXT_CHARS, MAX_WINDOW_MINUTES

register = template.Library()


def texts():
    # The %(name)s placeholders are filled in by hall.js (fmt), not by Python.
    return {
        "max_text": MAX_TEXT_CHARS, "max_minutes": MAX_WINDOW_MINUTES,
        "hosts": _("Host"), "supervisors": _("Supervisors"), "custodians": _("Key custodians"),
        "bidders": _("Bidders"), "nobody": _("nobody online"),
        "share_released": _("share released"), "share_waiting": _("share not yet released"),
        # xgettext:no-python-format
        "people": _("%(n)s online"),
        "my_organization": _("your organization"),
        "bidders_secret": _("Before the opening nobody may learn who or how many have bid (Bidding Law, "
                            "art. 22): only your own organization is shown."),
        # xgettext:no-python-format
        "bidders_online": _("%(n)s bidders online"),
        "objection_required": _("Write the objection."), "answer_required": _("Write the answer."),
        "choose_objections": _("Tick the objections to answer first, or use “Answer every open objection”."),
        # xgettext:no-python-format
        "too_long": _("At most %(max)s characters (this one has %(n)s)."),
        # xgettext:no-python-format
        "characters": _("%(n)s of %(max)s characters"),
        "answer_one": _("Answer this objection"), "host_answer": _("Host's answer:"),
        # xgettext:no-python-format
        "window_minutes_bad": _("Give 1 to %(max)s minutes."),
        # xgettext:no-python-format
        "window_until": _("Confirmations close at %(time)s (%(left)s left)."),
        # xgettext:no-python-format
        "window_closed": _("The confirmation window closed at %(time)s."),
        "window_none": _("The host has not set a confirmation window."),
        "unconfirmed": _("Bidders who have not yet confirmed the record"),
        "unconfirmed_final": _("Bidders who did not confirm the record"),
        "all_confirmed": _("Every bidder has confirmed the record."), "objected": _("raised an objection"),
        # xgettext:no-python-format
        "progress_bid": _("Bid %(number)s"),
        "progress_done": pgettext("decryption of a bid", "done"),
    }


@register.simple_tag
def hall_texts():
    return json_script(texts(), "hall-texts")
