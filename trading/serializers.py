from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.ids import IdField

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


class TenderListSerializer(serializers.ModelSerializer):
    region = RegionField()
    stage = serializers.SerializerMethodField()
    pause_reason = serializers.SerializerMethodField()
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
            "estimated_price_fen",
            "bid_deadline",
            "opening_at",
            "published_at",
        ]

    def get_stage(self, tender) -> str:
        """`paused` while an objection to the tender documents is unanswered (实施条例 art. 22)."""
        return stage_of(tender)

    def get_pause_reason(self, tender) -> str | None:
        reason = pause_reason(stage_of(tender))
        return str(reason) if reason else None


class TenderDetailSerializer(TenderListSerializer):
    project = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)
    unanswered_objections = serializers.SerializerMethodField()
    opening_key = serializers.SerializerMethodField()

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


class TenderTermsSerializer(serializers.Serializer):
    """Input shape of a tender's terms; the legal rules are checked by the actions."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    venue = serializers.CharField(max_length=200)
    estimated_price_fen = serializers.IntegerField(min_value=1, max_value=10**15)
    bid_security_fen = serializers.IntegerField(min_value=0, max_value=10**15, required=False)
    documents_from = serializers.DateTimeField()
    documents_until = serializers.DateTimeField()
    bid_deadline = serializers.DateTimeField(help_text=_("Also the opening time (Bidding Law, art. 34)."))
    opening_at = serializers.DateTimeField(required=False, help_text=_("If given, must equal bid_deadline."))
    evaluation_method = serializers.ChoiceField(choices=EvaluationMethod.choices)
    criteria = CriterionSerializer(many=True, required=False)
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
        fields = ["id", "tender", "text", "raised_at", "answer_due", "answer", "answered_at"]
        read_only_fields = ["id", "tender", "raised_at", "answer_due", "answer", "answered_at"]


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()

    class Meta:
        ref_name = "DocumentUpload"  # not the bid upload of api_bids (one schema component per name)
