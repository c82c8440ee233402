"""Forms of the expert pool and venue pages. They shape input; the actions judge it."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Region

from .models import Expert, Specialty


def region_choices(regions=None, blank=None):
    regions = regions if regions is not None else Region.objects.all()
    choices = [(r.code, r.display_name()) for r in regions]
    return [("", blank), *choices] if blank else choices


def specialty_choices(blank=None):
    groups = {}
    for s in Specialty.objects.filter(parent__isnull=False).select_related("parent").order_by("parent__code", "code"):
        groups.setdefault(s.parent.name, []).append((s.code, s.name))
    choices = list(groups.items())
    return [("", blank), *choices] if blank else choices


class ExpertFilterForm(forms.Form):
    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=50)
    specialty = forms.ChoiceField(label=_("Specialty"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].choices = specialty_choices(blank=_("All specialties"))
        self.fields["region"].choices = region_choices(regions, blank=_("All regions"))
        self.fields["status"].choices = [("", _("All statuses")), *Expert.Status.choices]


class ExpertForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    region = forms.ChoiceField(label=_("Region"))
    specialties = forms.MultipleChoiceField(label=_("Specialties"), widget=forms.SelectMultiple(attrs={"size": 8}))
    title = forms.CharField(label=_("Professional title"), max_length=50, required=False)
    employer_credit_code = forms.CharField(label=_("Employer's unified social credit code"), max_length=18,
                                           required=False)
    employer_name = forms.CharField(label=_("Employer's name"), max_length=200, required=False)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices()
        self.fields["specialties"].choices = specialty_choices()
        self.fields["id_number"].required = not editing
        if editing:
            self.fields["id_number"].help_text = _(
                "The stored ID number is never shown whole. Leave this empty to keep it; type a new one to correct it.")

    @classmethod
    def initial_for(cls, expert):
        return {
            "name": expert.name, "phone": expert.phone, "region": expert.region.code,
            "specialties": [s.code for s in expert.specialties.all()], "title": expert.title,
            "employer_credit_code": expert.employer.credit_code if expert.employer_id else expert.employer_credit_code,
            "employer_name": expert.employer.name if expert.employer_id else expert.employer_name,
        }


class SuspendForm(forms.Form):
    until = forms.DateField(label=_("Suspended until"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"))
    dry_run = forms.BooleanField(label=_("Only check the file, import nothing"), required=False)


class VenueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    region = forms.ChoiceField(label=_("Region"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=999)
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(regions)
