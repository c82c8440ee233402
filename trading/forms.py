from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError
from accounts.models import Region

from . import evaluation_terms
from .files import check_document
from .forms_checks import form_field, rule_errors
from .forms_criteria import criteria_formset, row_errors
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


class PointsField(forms.DecimalField):
    def __init__(self, places=2, **kwargs):
        super().__init__(max_digits=8, decimal_places=places, min_value=0, required=False, **kwargs)


# The form's field of each evaluation term (DomainError `term`, trading.evaluation_terms / evaluation.terms).
TERM_FIELDS = {
    "qualification_criteria": "qualification_criteria",
    "price_rule": "price_benchmark",
    "price_rule.benchmark": "price_benchmark",
    "price_rule.deduct_above_per_pct": "deduct_above_per_pct",
    "price_rule.deduct_below_per_pct": "deduct_below_per_pct",
    "price_rule.floor": "price_floor",
    "price_rule.k": "benchmark_k",
    "price_rule.trim_min_bids": "trim_min_bids",
    "trim_extremes": "trim_extremes",
    "outlier_pct": "outlier_pct",
    "anonymous_technical": "anonymous_technical",
}


TERM_FORM_FIELDS = set(TERM_FIELDS.values())


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
    bid_letter_fields = forms.MultipleChoiceField(
        label=_("Bid letter fields"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(f["key"], f["label"]) for f in STANDARD_BID_LETTER_FIELDS],
        initial=[f["key"] for f in STANDARD_BID_LETTER_FIELDS],
    )
    max_bid_mb = forms.IntegerField(label=_("Bid size limit (MB)"), min_value=1, max_value=20480, initial=2048)
    # The evaluation terms (trading/evaluation_terms.py). Every one may be left out: the default applies.
    qualification_criteria = forms.CharField(
        label=_("Qualification criteria: one per line"),
        help_text=_("Leave empty for the standard ones."),
        required=False,
        initial="\n".join(evaluation_terms.DEFAULT_QUALIFICATION),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    price_benchmark = forms.ChoiceField(
        label=_("Benchmark price (comprehensive method)"),
        choices=[("", _("Default: the lowest price, 1 point per percent above")), ("lowest", _("The lowest valid price")),
                 ("average", _("The mean of the valid prices times K"))],
        required=False,
        initial="lowest",
    )
    deduct_above_per_pct = PointsField(label=_("Points deducted per percent above the benchmark"), initial="1")
    deduct_below_per_pct = PointsField(label=_("Points deducted per percent below the benchmark (mean price only)"),
                                       initial="0")
    price_floor = PointsField(label=_("Lowest price score"), initial="0")
    benchmark_k = PointsField(places=3, label=_("K (mean price only, 0.90 to 1.00)"), initial="1")
    trim_min_bids = forms.IntegerField(
        label=_("Leave the highest and lowest price out of the mean from this many valid bids (empty: never)"),
        required=False, min_value=3, max_value=1000,
    )
    trim_extremes = forms.BooleanField(
        label=_("Leave out each bid's highest and lowest expert total (7 or more experts)"), required=False)
    outlier_pct = forms.IntegerField(
        label=_("Flag a score deviating from the committee's mean by more than this many percent"),
        min_value=1, max_value=100, required=False, initial=evaluation_terms.DEFAULT_OUTLIER_PCT,
    )
    anonymous_technical = forms.BooleanField(
        label=_("Anonymous technical review (暗标): bidders appear as codes until the scores lock"), required=False)

    def __init__(self, *args, category=None, criteria=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        # The scoring criteria as rows (trading/forms_criteria.py), validated with the form.
        # Bound rows have no initial: a row is taken when filled in, not when changed.
        self.criteria_rows = (criteria_formset(self.data) if self.is_bound else criteria_formset(initial=criteria))
        if category == Category.PROCUREMENT:
            # 政府采购法实施条例 art. 33: a procurement tender states its budget (预算金额) there.
            self.fields["estimated_price"].label = _("Budget (yuan)")

    def is_valid(self):
        valid = super().is_valid()  # runs clean(), which validates the rows
        return valid and self.criteria_rows.is_valid()

    def clean(self):
        """Every rule the terms break, at once, each next to its field (trading/forms_checks.py): the
        rows first (their total and the price criterion), then the legal rules on what did clean."""
        data = super().clean()
        rows = self.criteria_rows
        rows.method = data.get("evaluation_method")
        data["criteria"] = rows.criteria if rows.is_valid() else None
        category = data.get("category") or self.category or Category.WORKS
        for exc in rule_errors(self._readable_terms(), category, data["criteria"]):
            self.add_domain_error(exc)
        return data

    def _readable_terms(self):
        """The action's keyword arguments the form could read so far (rule_errors skips the others)."""
        data, terms = self.cleaned_data, {}
        for name in ("documents_from", "documents_until", "bid_deadline", "evaluation_method"):
            if data.get(name) is not None:
                terms[name] = data[name]
        for name in ("estimated_price", "bid_security"):
            if data.get(name) is not None:
                terms[f"{name}_fen"] = yuan_to_fen(data[name])
        try:
            terms["evaluation_terms"] = self.evaluation_terms()
        except KeyError:
            pass  # a term field did not clean: its own error shows
        return terms

    def add_domain_error(self, exc):
        """A refusal of a rule or of the action, next to its field (the rows' own list for criteria)."""
        field = form_field(exc, TERM_FIELDS)
        if field == "criteria":
            self.criteria_rows.non_form_errors().append(str(exc.message))
            return
        field = field if field in self.fields else None
        if field is None or field not in self.errors or str(exc.message) not in self.errors[field]:
            self.add_error(field, str(exc.message))

    def error_summary(self):
        """(anchor id, label, message) of every error, for the list at the top of the page."""
        found = [("", "", str(m)) for m in self.non_field_errors()]
        for field in self:
            found += [(field.id_for_label or field.auto_id, field.label, str(m)) for m in field.errors]
        label = str(_("Scoring criteria"))
        found += [(anchor, label, message) for anchor, message in row_errors(self.criteria_rows)]
        return found

    def main_fields(self):
        return [field for field in self if field.name not in TERM_FORM_FIELDS]

    def term_fields(self):
        return [field for field in self if field.name in TERM_FORM_FIELDS]

    def clean_qualification_criteria(self):
        return [line.strip() for line in (self.cleaned_data.get("qualification_criteria") or "").splitlines()
                if line.strip()]

    def evaluation_terms(self):
        """The terms as trading.evaluation_terms.check_terms reads them; the price rule with the
        comprehensive method only (the action refuses it with the other)."""
        data = self.cleaned_data
        terms = {"trim_extremes": data["trim_extremes"], "anonymous_technical": data["anonymous_technical"]}
        if data.get("qualification_criteria"):
            terms["qualification_criteria"] = data["qualification_criteria"]
        if data.get("outlier_pct") is not None:
            terms["outlier_pct"] = data["outlier_pct"]
        benchmark = data.get("price_benchmark")
        if benchmark and data["evaluation_method"] == EvaluationMethod.COMPREHENSIVE:
            rule = {"benchmark": benchmark}
            for key, field in (("deduct_above_per_pct", "deduct_above_per_pct"),
                               ("deduct_below_per_pct", "deduct_below_per_pct"), ("floor", "price_floor")):
                rule[key] = str(data[field] if data.get(field) is not None else 0)
            if benchmark == "average":
                rule["k"] = str(data["benchmark_k"] if data.get("benchmark_k") is not None else 1)
                rule["trim_min_bids"] = data.get("trim_min_bids")
            terms["price_rule"] = rule
        return terms

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
            "criteria": data["criteria"] or [],
            "evaluation_terms": self.evaluation_terms(),
            "bid_letter_fields": [f for f in STANDARD_BID_LETTER_FIELDS if f["key"] in keys],
            "max_bid_bytes": data["max_bid_mb"] * 1024 * 1024,
        }


def evaluation_terms_initial(tender):
    """The form's evaluation-term fields for a tender being edited (what it states, else the defaults)."""
    terms = tender.evaluation_terms or {}
    rule = terms.get("price_rule") or {}
    initial = {
        "qualification_criteria": "\n".join(terms.get("qualification_criteria")
                                             or evaluation_terms.DEFAULT_QUALIFICATION),
        "trim_extremes": terms.get("trim_extremes", False),
        "outlier_pct": terms.get("outlier_pct", evaluation_terms.DEFAULT_OUTLIER_PCT),
        "anonymous_technical": terms.get("anonymous_technical", False),
    }
    if rule:
        initial.update({"price_benchmark": rule["benchmark"], "deduct_above_per_pct": rule["deduct_above_per_pct"],
                        "deduct_below_per_pct": rule.get("deduct_below_per_pct", "0"),
                        "price_floor": rule.get("floor", "0"), "benchmark_k": rule.get("k", "1"),
                        "trim_min_bids": rule.get("trim_min_bids")})
    return initial


class NewTenderForm(TenderForm):
    project_name = forms.CharField(label=_("Project name"), max_length=200)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.all(), to_field_name="code", empty_label=None
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    document = forms.FileField(label=_("Tender document"), required=False)

    field_order = ["project_name", "region", "category"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estimated_price"].label = _("Estimated price, or budget for government procurement (yuan)")

    def clean_document(self):
        """The same checks as the action's (trading/files.py), now, so its error shows with the others."""
        uploaded = self.cleaned_data.get("document")
        if uploaded:
            try:
                check_document(uploaded)
            except DomainError as exc:
                raise forms.ValidationError(str(exc.message), code=exc.code) from None
        return uploaded


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
    """One day of the State Council's yearly arrangement (a bridged day off or a make-up working day)."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.BooleanField(label=_("Make-up working day (leave unticked for a holiday)"), required=False)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)

    def clean(self):
        from .calendar import holiday_name

        data = super().clean()
        day = data.get("date")
        if day and data.get("is_workday") and holiday_name(day):
            raise forms.ValidationError(
                _("%(day)s is a statutory holiday (%(name)s): it cannot be a make-up working day."),
                params={"day": day.isoformat(), "name": holiday_name(day)},
            )
        return data
