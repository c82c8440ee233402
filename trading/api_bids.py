"""API of sealed bids: resumable upload (create → parts → finalize), receipts, self-check, withdrawal."""

import datetime
import uuid

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.permissions import can
from accounts.throttle import client_address
from config.ids import ID_SCHEMA, MAX_ID, IdField, IdLookupMixin, int_param
from config.openapi import error_response

from . import actions, bidstore
from .actions.bids import PART_SIZE, access_upload
from .models import Bid
from .queries import own_bids


def device_digest(request):
    """SHA-256 of the device id the client sends (X-Client-Device: a random id kept in the browser, or
    the bidder tool's machine id), never the id itself. A User-Agent is not used: thousands of
    bidders share one, so it would accuse them all."""
    import hashlib

    raw = (request.headers.get("X-Client-Device") or "").strip()[:200]
    return hashlib.sha256(raw.encode()).hexdigest() if raw else ""


def arrived_at(request):
    """When the request reached the server process, before it waited for a place (config.limits stamps
    the ASGI scope); now, for a request without the stamp (Django's test client). Never later than now."""
    now = timezone.now()
    stamp = (getattr(request, "scope", None) or {}).get("arrived_at")
    if not isinstance(stamp, float):
        return now
    return min(now, datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC))


class UploadSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    tender = serializers.IntegerField(source="tender_id", read_only=True)
    declared_size = serializers.IntegerField(read_only=True)
    received = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    refusal_code = serializers.CharField(read_only=True)
    part_size = serializers.SerializerMethodField()

    def get_part_size(self, _obj) -> int:
        return PART_SIZE


class CreateUploadSerializer(serializers.Serializer):
    tender = IdField()
    size = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class FinalizeSerializer(serializers.Serializer):
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False)


class BidSerializer(serializers.ModelSerializer):
    tender_code = serializers.CharField(source="tender.code")
    receipt_pdf = serializers.SerializerMethodField()

    class Meta:
        model = Bid
        fields = ["id", "tender", "tender_code", "status", "size", "sha256", "submitted_at", "withdrawn_at",
                  "receipt_no", "receipt", "receipt_signature", "receipt_pdf"]

    def get_receipt_pdf(self, bid) -> str | None:
        return f"/records/{bid.receipt_record_id}/download/" if bid.receipt_record_id else None


HEX_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
RECEIPT_INCLUSION_SCHEMA = {
    "type": "object", "required": ["seq", "sth", "leaf", "inclusion"],
    "properties": {
        "seq": {"type": "integer", "description": "the receipt's ledger_seq"},
        "sth": {"type": "object", "description": "the latest signed tree head, as /ledger/sth/ serves it"},
        "leaf": {"type": "string", "description": "the entry's leaf data: the canonical JSON the tree hashed"},
        "inclusion": {"type": "array", "items": HEX_HASH, "description": "RFC 9162 audit path, sibling first"},
    },
}


class OctetStreamParser(BaseParser):
    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


class UploadViewSet(IdLookupMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = UploadSerializer
    parser_classes = [JSONParser, OctetStreamParser]
    lookup_type = uuid.UUID  # checked by IdLookupMixin: 400 invalid_parameter, not a 404 page

    @extend_schema(request=CreateUploadSerializer, responses={201: UploadSerializer, **error_response(413)})
    def create(self, request):
        data = CreateUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = actions.create_upload(actor=request.user, tender_id=data.validated_data["tender"],
                                       size=data.validated_data["size"])
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        """How much of the upload the server holds: resume from `received`."""
        return Response(UploadSerializer(access_upload(request.user, pk)).data)

    @extend_schema(request={"application/octet-stream": bytes},
                   responses={200: UploadSerializer, **error_response(413)},
                   parameters=[OpenApiParameter("offset", {**ID_SCHEMA, "minimum": 0}, required=True),
                               OpenApiParameter("X-Part-SHA256", str, OpenApiParameter.HEADER,
                                                description="SHA-256 of the part (hex); a damaged part is not kept")])
    @action(detail=True, methods=["put"])
    def parts(self, request, pk=None):
        offset = int_param(request.query_params.get("offset", ""), "offset", minimum=0)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or "")
        except ValueError:
            raise DomainError("invalid_part", _("The part needs a Content-Length header.")) from None
        # Read the raw body as a stream (bounded memory), not through request.data. Under ASGI this view is
        # reached through trading/part_stream.py, whose request body is the connection itself, not a
        # spooled copy: the part is written once, at its offset (docs/bid-upload.md).
        upload = actions.receive_part(actor=request.user, upload_id=pk, offset=offset, stream=request._request,
                                      length=length, sha256=request.headers.get("X-Part-SHA256"))
        return Response(UploadSerializer(upload).data)

    @extend_schema(request=None, responses={200: UploadSerializer})
    def destroy(self, request, pk=None):
        """Discard an unfinished upload: its file is deleted and it no longer counts toward the limit
        of unfinished uploads per tender."""
        return Response(UploadSerializer(actions.abandon_upload(actor=request.user, upload_id=pk)).data)

    @extend_schema(request=FinalizeSerializer, responses={201: BidSerializer})
    @action(detail=True, methods=["post"])
    def finalize(self, request, pk=None):
        data = FinalizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bid = actions.finalize_upload(actor=request.user, upload_id=pk, sha256=data.validated_data.get("sha256"),
                                      client_ip=client_address(request), client_device=device_digest(request),
                                      arrived=arrived_at(request))
        return Response(BidSerializer(bid).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("tender", ID_SCHEMA, description="Only the bids for this tender.")]))
class BidViewSet(IdLookupMixin, viewsets.ReadOnlyModelViewSet):
    """The bids of the signed-in user's own organization."""

    permission_classes = [IsAuthenticated]
    serializer_class = BidSerializer

    def get_queryset(self):
        qs = own_bids(self.request.user).select_related("tender")  # 招标投标法 art. 22: nobody else's
        tender = self.request.query_params.get("tender")
        return qs.filter(tender_id=int_param(tender, "tender")) if tender not in (None, "") else qs

    def get_object(self):
        bid = super().get_object()
        if not can(self.request.user, "bid.manage", bid):
            raise Forbidden()
        return bid

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def envelope(self, request, pk=None):
        """The stored envelope, for the bidder's self-check (decrypted on its own machine)."""
        bid = self.get_object()
        return FileResponse(bidstore.open_file(bid.envelope), content_type="application/octet-stream",
                            as_attachment=True, filename=f"{bid.receipt_no}.sealed")

    @extend_schema(responses={200: RECEIPT_INCLUSION_SCHEMA, **error_response(409)})
    @action(detail=True, methods=["get"])
    def inclusion(self, request, pk=None):
        """The log entry of the bid's receipt (`ledger_seq`) with its audit path to the latest signed tree
        head: the signed receipt cannot change, so its proof is fetched here once a head covers it
        (`tools/bidder.py verify-receipt --inclusion FILE`). 409 `not_integrated` until then."""
        import json

        from ledger.export import entry_inclusion

        bid = self.get_object()
        seq = json.loads(bid.receipt or "{}").get("ledger_seq")
        if not isinstance(seq, int):
            raise DomainError("not_integrated", _("This bid's receipt names no trading log entry."), http_status=409)
        return Response(entry_inclusion(seq))

    @extend_schema(request=None, responses=BidSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        bid = actions.withdraw_bid(actor=request.user, bid_id=pk)
        return Response(BidSerializer(bid).data)


class PlatformCertificatesView(APIView):
    """The platform CA and seal certificates: anyone may check a receipt or a record with them."""

    authentication_classes = []  # public: a stale token must not make it answer 401
    permission_classes = [AllowAny]

    @extend_schema(responses={200: {"type": "object", "required": ["ca", "seal"],
                                    "properties": {"ca": {"type": "string"}, "seal": {"type": "string"}}},
                              **error_response(404)})
    def get(self, request):
        from records.pki import PkiError, cert_pem, platform_certificates

        try:
            ca, seal = platform_certificates()  # reads no private key
        except PkiError:
            raise NotFound() from None
        return Response({"ca": cert_pem(ca).decode(), "seal": cert_pem(seal).decode()})
