"""The HTTP API: public reads of published tenders; writes through the same actions as the pages."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from accounts.models import Region
from accounts.permissions import can
from config.ids import IdLookupMixin

from . import actions
from .models import Objection, Tender
from .queries import PUBLIC_STATUSES, portal_tenders
from .serializers import (
    AmendmentInputSerializer,
    AmendmentSerializer,
    AnswerSerializer,
    DocumentSerializer,
    ObjectionSerializer,
    ProjectSerializer,
    ReasonSerializer,
    TenderCreateSerializer,
    TenderDetailSerializer,
    TenderListSerializer,
    TenderTermsSerializer,
    UploadSerializer,
)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("region", str, description="Region code: that region and the regions below it."),
    OpenApiParameter("city_only", str, enum=["1"], description="1: only the city's own tenders."),
    OpenApiParameter("category", str),
    OpenApiParameter("stage", str),
    OpenApiParameter("q", str, description="Words of the title or code (first 100 characters)."),
]))
class TenderViewSet(IdLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            code = params.get("region", "")
            region = Region.objects.filter(code=code).select_related("parent").first() if code else None
            return portal_tenders(
                region=region,
                city_only=params.get("city_only") == "1",
                category=params.get("category"),
                stage=params.get("stage"),
                q=(params.get("q") or "").strip()[:100],
            )
        return Tender.objects.select_related("project__owner", "region__parent", "opening_key").prefetch_related(
            "documents", "amendments"
        )

    def get_serializer_class(self):
        return TenderListSerializer if self.action == "list" else TenderDetailSerializer

    def get_object(self):
        tender = super().get_object()
        if tender.status not in PUBLIC_STATUSES and not can(self.request.user, "tender.view_unpublished", tender):
            raise Http404
        return tender

    def _detail(self, tender_id, code=status.HTTP_200_OK):
        tender = self.get_queryset().get(pk=tender_id)
        return Response(TenderDetailSerializer(tender).data, status=code)

    @extend_schema(request=TenderCreateSerializer, responses=TenderDetailSerializer)
    def create(self, request):
        data = TenderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        terms = dict(data.validated_data)
        project_id = terms.pop("project")
        tender = actions.create_tender(actor=request.user, project_id=project_id, **terms)
        return self._detail(tender.pk, status.HTTP_201_CREATED)

    @extend_schema(request=TenderTermsSerializer, responses=TenderDetailSerializer, description=(
        "Edit a draft or returned tender; the legal rules are checked again (docs/legal-periods.md). A date "
        "beyond TENDER_MAX_HORIZON_DAYS from now: 400 `date_out_of_range`. A published tender's own tenderer "
        "gets 403 `tender_published_use_amendment`: its terms change only by an amendment "
        "(POST /api/tenders/{id}/amendments/)."))
    def partial_update(self, request, pk=None):
        data = TenderTermsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        actions.update_tender(actor=request.user, tender_id=pk, **data.validated_data)
        return self._detail(pk)

    @extend_schema(request=UploadSerializer, responses={201: DocumentSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def documents(self, request, pk=None):
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doc = actions.add_document(actor=request.user, tender_id=pk, uploaded=data.validated_data["file"])
        return Response(DocumentSerializer(doc).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TenderDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def submit(self, request, pk=None):
        actions.submit_tender(actor=request.user, tender_id=pk)
        return self._detail(pk)

    @extend_schema(request=None, responses=TenderDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def approve(self, request, pk=None):
        actions.approve_tender(actor=request.user, tender_id=pk)
        return self._detail(pk)

    @extend_schema(request=ReasonSerializer, responses=TenderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return", permission_classes=[IsAuthenticated])
    def return_(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.return_tender(actor=request.user, tender_id=pk, reason=data.validated_data["reason"])
        return self._detail(pk)

    @extend_schema(request=AmendmentInputSerializer, responses={201: AmendmentSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def amendments(self, request, pk=None):
        data = AmendmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amendment = actions.issue_amendment(actor=request.user, tender_id=pk, **data.validated_data)
        return Response(AmendmentSerializer(amendment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ObjectionSerializer, responses={201: ObjectionSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def objections(self, request, pk=None):
        data = ObjectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection = actions.raise_objection(actor=request.user, tender_id=pk, text=data.validated_data["text"])
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)


class ProjectViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = ProjectSerializer
    may_conflict = False  # a new project depends on no state (schema: no 409)

    def create(self, request):
        data = ProjectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = actions.create_project(
            actor=request.user,
            name=data.validated_data["name"],
            region_code=data.validated_data["region"]["code"],
            category=data.validated_data["category"],
        )
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ObjectionViewSet(IdLookupMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = ObjectionSerializer
    queryset = Objection.objects.none()  # typing of the path parameter only; actions load the objection

    @extend_schema(request=AnswerSerializer, responses=ObjectionSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection = actions.answer_objection(actor=request.user, objection_id=pk, answer=data.validated_data["answer"],
                                             amends_documents=data.validated_data["amends_documents"])
        return Response(ObjectionSerializer(objection).data)
