"""The transparency log's public JSON (docs/trading-log.md): signed tree heads and proofs, for anyone.

No login and no token (a stale one must not make them answer 401). Every answer is a few indexed
reads of the stored heads and tiles, whatever the log's length; bad parameters answer 400
`invalid_parameter` naming the parameter, as everywhere in the API. Proofs for sizes already published
never change, so caches may keep them.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import DomainError, NotFound
from config.ids import ID_SCHEMA, Pagination, int_param
from config.openapi import ErrorSerializer, error_response

from . import sth, tree
from .models import TreeHead

HEX = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
HEAD_SCHEMA = {
    "type": "object",
    "required": ["format", "log", "tree_size", "root_hash", "timestamp", "seal_sha256", "signature"],
    "properties": {
        "format": {"type": "string", "enum": [sth.FORMAT]}, "log": {"type": "string"},
        "tree_size": {"type": "integer", "minimum": 1}, "root_hash": HEX,
        "timestamp": {"type": "integer", "description": "milliseconds since 1970-01-01 UTC"},
        "seal_sha256": HEX, "signature": {"type": "string", "description": "base64, RSASSA-PKCS1-v1_5 SHA-256"},
    },
}
INCLUSION_SCHEMA = {
    "type": "object", "required": ["seq", "leaf_index", "tree_size", "leaf_hash", "audit_path"],
    "properties": {"seq": {"type": "integer"}, "leaf_index": {"type": "integer"}, "tree_size": {"type": "integer"},
                   "leaf_hash": HEX, "audit_path": {"type": "array", "items": HEX}},
}
CONSISTENCY_SCHEMA = {
    "type": "object", "required": ["first", "second", "consistency_path"],
    "properties": {"first": {"type": "integer"}, "second": {"type": "integer"},
                   "consistency_path": {"type": "array", "items": HEX}},
}
CACHE_PROOF = "public, max-age=3600"
REBUILDING = {503: OpenApiResponse(ErrorSerializer, description="`tree_not_ready`: the tiles are being rebuilt.")}


def _published_size():
    latest = sth.latest()
    if latest is None:
        raise NotFound(_("No signed tree head has been published yet."), code="no_tree_head")
    return latest.tree_size


def _proof(compute, *args):
    try:
        return Response(compute(*args), headers={"Cache-Control": CACHE_PROOF})
    except tree.TreeError:  # the tiles were dropped and are being rebuilt (tree.rebuild)
        raise DomainError("tree_not_ready", _("The log's tree is being rebuilt; try again in a minute."),
                          http_status=503) from None


def _param(request, name, maximum):
    return int_param(request.query_params.get(name, ""), name, maximum=maximum)


class _Public:
    authentication_classes = []
    permission_classes = [AllowAny]


class LatestHeadView(_Public, APIView):
    """The latest signed tree head."""

    @extend_schema(responses={200: HEAD_SCHEMA, **error_response(404)})
    def get(self, request):
        head = sth.latest()
        if head is None:
            raise NotFound(_("No signed tree head has been published yet."), code="no_tree_head")
        return Response(sth.as_json(head), headers={"Cache-Control": "no-cache"})


class HeadPagination(Pagination):
    page_size = 100


class HeadHistoryView(_Public, ListAPIView):
    """Every signed tree head published, the largest first, 100 a page."""

    pagination_class = HeadPagination
    queryset = TreeHead.objects.order_by("-tree_size")

    @extend_schema(responses={200: {"type": "object", "required": ["count", "results"], "properties": {
        "count": {"type": "integer"}, "next": {"type": "string", "nullable": True},
        "previous": {"type": "string", "nullable": True}, "results": {"type": "array", "items": HEAD_SCHEMA}}}})
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([sth.as_json(head) for head in page])


class InclusionProofView(_Public, APIView):
    """The audit path of entry `seq` in the tree of the first `size` entries (RFC 9162 §2.1.3)."""

    @extend_schema(parameters=[
        OpenApiParameter("seq", ID_SCHEMA, required=True, description="The entry (its leaf index is seq − 1)."),
        OpenApiParameter("size", ID_SCHEMA, required=True,
                         description="A tree size from seq up to the latest signed tree head's."),
    ], responses={200: INCLUSION_SCHEMA, **error_response(404), **REBUILDING})
    def get(self, request):
        published = _published_size()
        size = _param(request, "size", published)
        seq = _param(request, "seq", size)
        return _proof(tree.inclusion_proof, seq, size)


class ConsistencyProofView(_Public, APIView):
    """The proof that the tree of `to` entries extends the tree of `from` entries (RFC 9162 §2.1.4)."""

    @extend_schema(parameters=[
        OpenApiParameter("from", ID_SCHEMA, required=True, description="The earlier tree size."),
        OpenApiParameter("to", ID_SCHEMA, required=True,
                         description="The later tree size, up to the latest signed tree head's."),
    ], responses={200: CONSISTENCY_SCHEMA, **error_response(404), **REBUILDING})
    def get(self, request):
        published = _published_size()
        second = _param(request, "to", published)
        first = _param(request, "from", second)
        return _proof(tree.consistency_proof, first, second)
