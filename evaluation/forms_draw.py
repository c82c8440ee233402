"""Forms of the expert draw pages: they shape what a person types; the rules (招标投标法 art. 37; 实施条例
art. 45–46) are the draw actions', whose errors name the field they belong to and are shown next to it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Specialty, Venue

MAX_COMMITTEE = 99


def specialty_choices():
    """Leaves of the taxonomy grouped by their category, for a <select> with <optgroup>s."""
    groups = {}
    for leaf in Specialty.objects.filter(parent__isnull=False).select_related("parent").order_by("parent__code", "code"):
        groups.setdefault(leaf.parent.name, []).append((leaf.code, leaf.name))
    return [("", "—"), *groups.items()]


def venue_choices():
    return [("", "—"), *((str(v.pk), f"{v.name}（{v.seats}）") for v in Venue.objects.filter(active=True))]


class DrawRequestForm(forms.Form):
    # The committee rules (odd, ≥ 5, experts ≥ 2/3: 招标投标法 art. 37) are the action's; its errors name
    # these fields and are shown next to them.
    committee_size = forms.IntegerField(label=_("Committee size (odd, at least 5)"), min_value=0,
                                        max_value=MAX_COMMITTEE, initial=5)
    tenderer_representatives = forms.IntegerField(label=_("Tenderer's representatives (at most one third)"),
                                                  min_value=0, max_value=MAX_COMMITTEE, initial=0)
    remote = forms.BooleanField(label=_("Remote multi-site evaluation (main and sub-venues)"), required=False)


class RequirementForm(forms.Form):
    specialty = forms.ChoiceField(label=_("Specialty"))
    count = forms.IntegerField(label=_("Experts"), min_value=1, max_value=MAX_COMMITTEE)
    venue = forms.ChoiceField(label=_("Venue"), required=False)
    main = forms.BooleanField(label=_("Main venue"), required=False)
    offsite = forms.BooleanField(label=_("From outside the tender's county (异地)"), required=False)

    def __init__(self, *args, specialties=(), venues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].choices = specialties
        self.fields["venue"].choices = venues


class BaseRequirementFormSet(forms.BaseFormSet):
    """Rows of specialty × count (× venue when remote). Untouched rows are ignored."""

    def __init__(self, *args, remote=False, **kwargs):
        self.remote = remote
        super().__init__(*args, **kwargs)

    def rows(self):
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]

    def requirements(self):
        """The rows as request_draw takes them."""
        return [{"specialty": row["specialty"], "count": row["count"],
                 "venue": int(row["venue"]) if self.remote and row.get("venue") else None,
                 "main": bool(self.remote and row.get("main")), "offsite": bool(self.remote and row.get("offsite"))}
                for row in self.rows()]


RequirementFormSet = forms.formset_factory(RequirementForm, formset=BaseRequirementFormSet, extra=4, max_num=30,
                                           validate_max=True, absolute_max=30)


def requirement_formset(data=None, remote=False):
    specialties, venues = specialty_choices(), venue_choices()
    return RequirementFormSet(data, prefix="req", remote=remote,
                              form_kwargs={"specialties": specialties, "venues": venues})


class SecretForm(forms.Form):
    """The regulator's secret: 32 random bytes, generated in their browser (or typed), as 64 hex digits."""

    secret_hex = forms.CharField(label=_("Your secret (64 hexadecimal digits)"), max_length=200, strip=True)


class AnswerForm(forms.Form):
    code = forms.CharField(label=_("The 6-digit code from the text message"), max_length=6, min_length=6,
                           error_messages={"min_length": _("The code has 6 digits."),
                                           "max_length": _("The code has 6 digits.")})
    accept = forms.TypedChoiceField(label=_("Your answer"), choices=[("yes", _("I accept")),
                                                                     ("no", _("I decline"))],
                                    coerce=lambda v: v == "yes", widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason for declining"), max_length=200, required=False)
    # 实施条例 art. 46: an expert with an interest in a bidder withdraws; they are left out of the redraws too.
    conflict = forms.BooleanField(label=_("I decline because of a conflict of interest"), required=False)

    def clean_code(self):
        code = self.cleaned_data["code"]
        if not (code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("The code has 6 digits."))
        return code

    def clean(self):
        data = super().clean()
        if data.get("accept") is False and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why you decline."))
        return data
