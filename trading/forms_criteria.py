"""The tender form's scoring criteria as rows (name, points, kind): a formset that works without JavaScript
(a fixed number of rows, untouched ones ignored) and with it (static/js/tender_form.js adds and removes rows
and shows the running total). The rule on the rows as a whole is trading.rules.check_criteria, the one the
action applies: the formset runs it only to show its error next to the rows at once."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.errors import DomainError

from . import rules

MAX_ROWS = 40  # rules.check_criteria: 2 to 40 criteria
EMPTY_ROWS = 3  # rows left empty after the stated ones, for a browser without JavaScript
MIN_ROWS = 6  # a new tender shows this many rows
KIND_CHOICES = [("price", pgettext_lazy("criterion kind", "Price")),
                ("technical", pgettext_lazy("criterion kind", "Technical")),
                ("commercial", pgettext_lazy("criterion kind", "Commercial"))]
PREFIX = "criteria"


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), max_length=60)
    weight = forms.IntegerField(label=_("Points"), min_value=1, max_value=100,
                                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "weight"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *KIND_CHOICES])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False  # an empty row is allowed: it is left out


class BaseCriteriaFormSet(forms.BaseFormSet):
    """Every row may be left empty (it is then ignored): none is an "initial" row, which Django would
    require. `method` is set by the tender form before validation."""

    method = None

    def initial_form_count(self):
        return 0

    def total_form_count(self):
        if self.is_bound:
            return super().total_form_count()
        stated = len(self.initial or [])
        return min(max(stated + EMPTY_ROWS, MIN_ROWS), MAX_ROWS)

    def rows(self):
        """The filled rows, in order, as the action takes them (only meaningful when valid)."""
        return [{"name": f.cleaned_data["name"].strip(), "weight": f.cleaned_data["weight"],
                 "kind": f.cleaned_data["kind"]}
                for f in self.forms if f.has_changed() and f.cleaned_data]

    def clean(self):
        if any(self.errors) or self.method is None:
            return
        try:
            self.criteria = rules.check_criteria(self.method, self.rows())
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from None

    criteria = None

    def total(self):
        """The running total of the weights as typed (what the page shows before JavaScript runs)."""
        total = 0
        for form in self.forms:
            value = form["weight"].value()
            if str(value or "").strip().isdigit():
                total += int(value)
        return total


CriteriaFormSet = forms.formset_factory(CriterionForm, formset=BaseCriteriaFormSet, extra=0, max_num=MAX_ROWS,
                                        validate_max=True, absolute_max=MAX_ROWS)


def criteria_formset(data=None, initial=None):
    """A post that carries no rows at all (no management form) states no criteria."""
    if data is not None and f"{PREFIX}-TOTAL_FORMS" not in data:
        data = data.copy()
        data.update({f"{PREFIX}-TOTAL_FORMS": "0", f"{PREFIX}-INITIAL_FORMS": "0"})
    return CriteriaFormSet(data, initial=initial or None, prefix=PREFIX)


def row_errors(formset):
    """(anchor id, message) of every row error, for the summary at the top of the page."""
    found = []
    for form in formset.forms:
        for name, errors in form.errors.items():
            anchor = form[name].auto_id if name in form.fields else f"{PREFIX}-rows"
            found.extend((anchor, str(message)) for message in errors)
    found.extend((f"{PREFIX}-rows", str(message)) for message in formset.non_form_errors())
    return found
