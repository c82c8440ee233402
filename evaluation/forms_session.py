"""Forms of the evaluation session pages. Everything a committee member types during the session goes
over the websocket (static/js/evaluation-session.js); these shape the two plain HTTP requests: opening a
session and filtering the list of sessions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models_session import EvaluationSession


def main_venue_choices(draw):
    """The venues of a remote draw's requirements, the draw's own main venue first (the default)."""
    if draw is None or not draw.remote:
        return []
    rows = draw.requirements.filter(venue__isnull=False).select_related("venue").order_by("-is_main_venue", "id")
    seen, choices = set(), []
    for requirement in rows:
        if requirement.venue_id not in seen:
            seen.add(requirement.venue_id)
            choices.append((str(requirement.venue_id), requirement.venue.name))
    return choices


class OpenSessionForm(forms.Form):
    """Open the live session of a tender whose draw is complete. The main venue (主场) is the draw's
    main-venue requirement unless staff pick another venue of the draw."""

    main_venue = forms.TypedChoiceField(label=_("Main venue"), required=False, coerce=int, empty_value=None,
                                        error_messages={"invalid_choice": _("Choose one of the draw's venues.")})

    def __init__(self, *args, draw=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["main_venue"].choices = [("", _("The draw's main venue")), *main_venue_choices(draw)]


class SessionFilterForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), required=False,
                              choices=[("", _("Every stage")), ("open", _("Not closed")),
                                       *EvaluationSession.Stage.choices],
                              error_messages={"invalid_choice": _("Choose a stage from the list.")})
