from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Region

from .models import Amendment, Category, EvaluationMethod
from .rules import STANDARD_BID_LETTER_FIELDS

DT_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DT_FORMAT, **kwargs)


def yuan_to_fen(value):
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise forms.ValidationError(_("Enter an amount in yuan, with at most two decimals.")) from None
    if amount < 0 or amount != Decimal(str(value)).quantize(Decimal("0.01")) or amount > Decimal("1e13"):
        raise forms.ValidationError(_("Enter an amount in yuan, with at most two decimals."))
    return int(amount * 100)


class YuanField(forms.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=15, decimal_places=2, min_value=0, **kwargs)


def parse_criteria(text):
    """One criterion a line: 名称|分值|类型 (类型: price, technical, commercial)."""
    criteria = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not parts[1].isdigit():
            raise forms.ValidationError(
                _("Line %(n)s: write name|points|kind, for example 技术方案|30|technical.") % {"n": n}
            )
        criteria.append({"name": parts[0], "weight": int(parts[1]), "kind": parts[2]})
    return criteria


class TenderForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20000
    )
    venue = forms.CharField(label=_("Opening venue"), max_length=200)
    estimated_price = YuanField(label=_("Estimated price (yuan)"))
    bid_security = YuanField(label=_("Bid security (yuan)"), initial=0)
    documents_from = forms.DateTimeField(
        label=_("Documents available from"), widget=DateTimeLocalInput(), input_formats=[DT_FORMAT]
    )
    documents_until = forms.DateTimeField(
        label=_("Documents available until"), widget=DateTimeLocalInput(), input_formats=[DT_FORMAT]
    )
    bid_deadline = forms.DateTimeField(
        label=_("Bid deadline (= opening time)"), widget=DateTimeLocalInput(), input_formats=[DT_FORMAT]
    )
    evaluation_method = forms.ChoiceField(label=_("Evaluation method"), choices=EvaluationMethod.choices)
    criteria = forms.CharField(
        label=_("Scoring criteria (comprehensive method): one per line, name|points|kind"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "投标报价|60|price\n技术方案|30|technical\n商务|10|commercial"}
        ),
    )
    bid_letter_fields = forms.MultipleChoiceField(
        label=_("Bid letter fields"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(f["key"], f["label"]) for f in STANDARD_BID_LETTER_FIELDS],
        initial=[f["key"] for f in STANDARD_BID_LETTER_FIELDS],
    )
    max_bid_mb = forms.IntegerField(label=_("Bid size limit (MB)"), min_value=1, max_value=20480, initial=2048)

    def clean_criteria(self):
        return parse_criteria(self.cleaned_data.get("criteria"))

    def terms(self):
        data = self.cleaned_data
        keys = set(data["bid_letter_fields"]) | {"price"}
        return {
            "title": data["title"],
            "description": data["description"],
            "venue": data["venue"],
            "estimated_price_fen": yuan_to_fen(data["estimated_price"]),
            "bid_security_fen": yuan_to_fen(data["bid_security"]),
            "documents_from": data["documents_from"],
            "documents_until": data["documents_until"],
            "bid_deadline": data["bid_deadline"],
            "evaluation_method": data["evaluation_method"],
            "criteria": data["criteria"],
            "bid_letter_fields": [f for f in STANDARD_BID_LETTER_FIELDS if f["key"] in keys],
            "max_bid_bytes": data["max_bid_mb"] * 1024 * 1024,
        }


class NewTenderForm(TenderForm):
    project_name = forms.CharField(label=_("Project name"), max_length=200)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.all(), to_field_name="code", empty_label=None
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    document = forms.FileField(label=_("Tender document"), required=False)

    field_order = ["project_name", "region", "category"]


class AmendmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Amendment.Kind.choices)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)
    affects_bids = forms.BooleanField(label=_("May affect the preparation of bids"), required=False, initial=True)
    document = forms.FileField(label=_("Attachment"), required=False)


class PortalFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    region = forms.CharField(label=_("Region"), required=False, max_length=12)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Category.choices]
    )
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    date_from = forms.DateField(
        label=_("Published from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Published until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        from .queries import STAGES

        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", _("All stages")), ("open", _("Open for bids")), *STAGES.items()]


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.BooleanField(label=_("Make-up working day (leave unticked for a holiday)"), required=False)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
