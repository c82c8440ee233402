import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.ids import IdField

from . import rules
from .evaluation_terms import BENCHMARKS, KEYS, MAX_NAME, MAX_QUALIFICATION, with_defaults
from .models import Amendment, Category, EvaluationMethod, Objection, Project, Tender, TenderDocument
from .queries import pause_reason, stage_of


@extend_schema_field({"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}})
class RegionField(serializers.Field):
    def to_representation(self, region):
        return {"code": region.code, "name": region.name}


class DocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = TenderDocument
        fields = ["id", "name", "size", "sha256", "media_type", "uploaded_at", "amendment", "download_url"]

    def get_download_url(self, doc) -> str:
        return f"/tenders/{doc.tender_id}/documents/{doc.pk}/"


class AmendmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Amendment
        fields = ["id", "kind", "text", "affects_bids", "issued_at", "old_deadline", "new_deadline"]


def _decimal(places, description):
    return {"type": "string", "pattern": rf"^[0-9]{{1,6}}(\.[0-9]{{1,{places}}})?$", "description": description}


PRICE_RULE_SCHEMA = {
    "type": "object",
    "nullable": True,
    "additionalProperties": False,
    "required": ["benchmark", "deduct_above_per_pct"],
    "description": "How the price criterion is scored (docs/price-scoring.md); comprehensive method only. "
                   "Decimals are strings (integers are read too); null: the default rule.",
    "properties": {
        "benchmark": {"type": "string", "enum": list(BENCHMARKS),
                      "description": "The lowest valid price, or the mean of the valid prices times k."},
        "deduct_above_per_pct": _decimal(2, "Points deducted per 1 % above the benchmark."),
        "deduct_below_per_pct": _decimal(2, "Points deducted per 1 % below the benchmark (default 0)."),
        "floor": _decimal(2, "The lowest price score, below the price criterion's weight (default 0)."),
        "k": _decimal(3, "average only: 0.90 to 1.00 (default 1)."),
        "trim_min_bids": {"type": "integer", "minimum": 3, "nullable": True,
                          "description": "average only: from this many valid bids, the highest and lowest price "
                                         "are left out of the mean; null: never."},
    },
}
_TERM_PROPERTIES = {
    "qualification_criteria": {"type": "array", "minItems": 1, "maxItems": MAX_QUALIFICATION,
                               "items": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                               "description": "The qualification review's criteria, each passed or failed per bid."},
    "price_rule": PRICE_RULE_SCHEMA,
    "trim_extremes": {"type": "boolean", "description": "With 7 or more experts, leave each bid's highest and "
                                                        "lowest expert total out of its score."},
    "outlier_pct": {"type": "integer", "minimum": 1, "maximum": 100,
                    "description": "Flag a score deviating from the committee's mean by more than this percentage."},
    "anonymous_technical": {"type": "boolean", "description": "暗标: bidders appear as codes until the scores lock."},
}


@extend_schema_field({
    "type": "object", "nullable": True, "additionalProperties": False, "properties": _TERM_PROPERTIES,
    "description": "How the committee applies the evaluation method (Regulations on the Implementation of the "
                   "Bidding Law, art. 49). Every key may be left out: its default applies. Replaces the "
                   "tender's terms as a whole.",
})
class EvaluationTermsField(serializers.JSONField):
    """Passed as given to the tender actions, which check it (trading.evaluation_terms)."""


class TenderListSerializer(serializers.ModelSerializer):
    region = RegionField()
    stage = serializers.SerializerMethodField()
    pause_reason = serializers.SerializerMethodField()
    suspended = serializers.SerializerMethodField()
    opening_at = serializers.DateTimeField(source="bid_deadline")

    class Meta:
        model = Tender
        fields = [
            "id",
            "code",
            "title",
            "region",
            "category",
            "status",
            "stage",
            "pause_reason",
            "suspended",
            "estimated_price_fen",
            "bid_deadline",
            "opening_at",
            "published_at",
        ]

    def get_stage(self, tender) -> str:
        """`paused` while an objection to the tender documents is unanswered (实施条例 art. 22)."""
        return stage_of(tender)

    def get_pause_reason(self, tender) -> str | None:
        """Why the tender is suspended, citing the law of its kind; null when it is not."""
        reason = pause_reason(stage_of(tender), tender)
        return str(reason) if reason else None

    def get_suspended(self, tender) -> bool:
        """True while an objection to the documents is unanswered: no bid is finalized and the opening
        does not start (实施条例 art. 22; for procurement, 政府采购法 art. 53)."""
        return stage_of(tender) == "paused"


class TenderDetailSerializer(TenderListSerializer):
    project = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)
    unanswered_objections = serializers.SerializerMethodField()
    opening_key = serializers.SerializerMethodField()
    evaluation_terms = serializers.SerializerMethodField()

    class Meta(TenderListSerializer.Meta):
        fields = [
            *TenderListSerializer.Meta.fields,
            "project",
            "description",
            "bid_security_fen",
            "documents_from",
            "documents_until",
            "original_deadline",
            "venue",
            "evaluation_method",
            "criteria",
            "evaluation_terms",
            "bid_letter_fields",
            "max_bid_bytes",
            "documents",
            "amendments",
            "unanswered_objections",
            "opening_key",
        ]

    def get_project(self, tender) -> dict:
        return {
            "id": tender.project_id,
            "code": tender.project.code,
            "name": tender.project.name,
            "owner": tender.project.owner.name,
        }

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "fingerprint": {"type": "string"}, "public_key_pem": {"type": "string"}, "threshold": {"type": "integer"}}})
    def get_opening_key(self, tender):
        key = getattr(tender, "opening_key", None)
        if key is None:
            return None
        return {"fingerprint": key.fingerprint, "public_key_pem": key.public_key_pem, "threshold": key.threshold}

    @extend_schema_field({
        "type": "object", "additionalProperties": False, "properties": _TERM_PROPERTIES,
        "required": sorted(KEYS),
        "description": "The terms the committee will apply, defaults filled in; price_rule is null with the "
                       "lowest evaluated price method."})
    def get_evaluation_terms(self, tender):
        return with_defaults(tender.evaluation_terms, tender.evaluation_method)

    def get_unanswered_objections(self, tender) -> int:
        return tender.objections.filter(answered_at__isnull=True).count()


class ProjectSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", max_length=12)
    category = serializers.ChoiceField(choices=Category.choices)

    class Meta:
        model = Project
        fields = ["id", "code", "name", "region", "category", "created_at"]
        read_only_fields = ["id", "code", "created_at"]


class CriterionSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    weight = serializers.IntegerField(min_value=1, max_value=100)
    kind = serializers.ChoiceField(choices=["price", "technical", "commercial"])  # CriterionKindEnum


class BidLetterFieldSerializer(serializers.Serializer):
    key = serializers.RegexField(r"^[a-z][a-z0-9_]{0,39}$")
    label = serializers.CharField(max_length=60)
    type = serializers.ChoiceField(choices=["money", "integer", "text"])
    required = serializers.BooleanField(default=True)


class TenderDateTimeField(serializers.DateTimeField):
    """A tender date: beyond the horizon (rules.check_dates_in_range; the actions check the whole window,
    after telling a past deadline as `date_in_past`), or beyond what a datetime can hold once moved to
    local time, it is refused with the stable code `date_out_of_range`."""

    def to_internal_value(self, value):
        try:
            moment = super().to_internal_value(value)
        except serializers.ValidationError as exc:
            if "overflow" not in exc.get_codes():
                raise
            moment = datetime.datetime.max.replace(tzinfo=datetime.UTC)  # refused just below, with its field
        rules.check_dates_in_range(past=False, **{self.field_name: moment})
        return moment


class TenderTermsSerializer(serializers.Serializer):
    """Input shape of a tender's terms; the legal rules are checked by the actions."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    venue = serializers.CharField(max_length=200)
    estimated_price_fen = serializers.IntegerField(min_value=1, max_value=10**15)
    bid_security_fen = serializers.IntegerField(min_value=0, max_value=10**15, required=False)
    # Every date within TENDER_MAX_HORIZON_DAYS of now (error code date_out_of_range).
    documents_from = TenderDateTimeField()
    documents_until = TenderDateTimeField()
    bid_deadline = TenderDateTimeField(help_text=_("Also the opening time."))
    opening_at = TenderDateTimeField(required=False, help_text=_("If given, must equal bid_deadline."))
    evaluation_method = serializers.ChoiceField(choices=EvaluationMethod.choices)
    criteria = CriterionSerializer(many=True, required=False)
    evaluation_terms = EvaluationTermsField(required=False, allow_null=True)
    bid_letter_fields = BidLetterFieldSerializer(many=True, required=False)
    max_bid_bytes = serializers.IntegerField(min_value=1024, max_value=20 * 1024**3, required=False)


class TenderCreateSerializer(TenderTermsSerializer):
    project = IdField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AmendmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Amendment.Kind.choices)
    text = serializers.CharField(max_length=20000)
    affects_bids = serializers.BooleanField(default=True)


class ObjectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "tender", "text", "raised_at", "answer_due", "answer", "answered_at", "answered_late",
                  "amendment"]
        read_only_fields = ["id", "tender", "raised_at", "answer_due", "answer", "answered_at", "answered_late",
                            "amendment"]


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)
    # The answer changes the documents in a way that may affect bids: issued as an amendment, the
    # deadline moves by 实施条例 art. 21 (procurement: 政府采购法实施条例 art. 31).
    amends_documents = serializers.BooleanField(default=False)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()

    class Meta:
        ref_name = "DocumentUpload"  # not the bid upload of api_bids (one schema component per name)
