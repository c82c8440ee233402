"""Open data (OCDS 1.1.5, docs/ocds.md): release packages, records and the JSON Lines dump, for anyone.

No login and no token (a stale one must not make them answer 401), like the trading log's public JSON.
Bad parameters answer 400 `invalid_parameter` naming the parameter, as everywhere in the API."""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound
from config.ids import ID_SCHEMA, Pagination
from config.openapi import error_response

from .ocds import build, packages

RELEASE = {"type": "object", "required": ["ocid", "id", "date", "tag", "initiationType"],
           "description": "An OCDS 1.1.5 release (https://standard.open-contracting.org/1.1/en/schema/reference/)."}
PACKAGE_PROPERTIES = {
    "uri": {"type": "string"}, "version": {"type": "string", "enum": [packages.VERSION]},
    "extensions": {"type": "array", "items": {"type": "string"}},
    "publisher": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
    "publishedDate": {"type": "string", "format": "date-time"},
}
RELEASE_PACKAGE = {
    "type": "object", "required": ["uri", "version", "publisher", "publishedDate", "releases", "links"],
    "description": "An OCDS release package (release-package-schema.json), one page of the releases in log order.",
    "properties": {**PACKAGE_PROPERTIES, "releases": {"type": "array", "items": RELEASE}, "links": {
        "type": "object", "required": ["next", "prev"],
        "properties": {"next": {"type": "string", "nullable": True}, "prev": {"type": "string", "nullable": True}}}},
}
RECORD_PACKAGE = {
    "type": "object", "required": ["uri", "version", "publisher", "publishedDate", "records"],
    "description": "An OCDS record package of one record: every release of the tender and its compiled release.",
    "properties": {**PACKAGE_PROPERTIES, "records": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
        "type": "object", "required": ["ocid", "releases", "compiledRelease"],
        "properties": {"ocid": {"type": "string"}, "releases": {"type": "array", "items": RELEASE},
                       "compiledRelease": RELEASE}}}},
}
MOMENT = {"type": "string", "pattern": packages.MOMENT_PATTERN, "maxLength": packages.MOMENT_MAX_LENGTH}
WINDOW = [
    OpenApiParameter("since", MOMENT, description="Releases dated from this moment: an ISO 8601 date (a whole "
                                                  "day, Beijing time) or a date and time with its offset."),
    OpenApiParameter("until", MOMENT, description="Releases dated up to this moment (a date: to the end of that "
                                                  "day)."),
]
OCID = OpenApiParameter("ocid", {"type": "string", "minLength": 1, "maxLength": packages.MAX_OCID},
                        OpenApiParameter.PATH, description="The tender's ocid: the platform's prefix, then its code.")


class _Public:
    authentication_classes = []
    permission_classes = [AllowAny]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # JSON whatever Accept says


class ReleasePagination(Pagination):
    page_size = 100


class ReleasePackageView(_Public, APIView):
    """Every release (tender, amendment, opening record, failure, candidates, award, contract), in log order,
    100 a page, as a release package; `links.next` gives the next page."""

    @extend_schema(parameters=[OpenApiParameter("page", ID_SCHEMA), *WINDOW],
                   responses={200: RELEASE_PACKAGE, **error_response(404)})
    def get(self, request):
        since, until = packages.window(request.query_params)
        paginator = ReleasePagination()
        page = paginator.paginate_queryset(packages.filtered_entries(since, until), request, view=self)
        package = packages.release_package(build.releases_for_entries(page), request.build_absolute_uri())
        package["links"] = {"next": paginator.get_next_link(), "prev": paginator.get_previous_link()}
        return Response(package)


class RecordPackageView(_Public, APIView):
    """The record of one tender (its ocid): all its releases and the compiled release."""

    @extend_schema(parameters=[OCID], responses={200: RECORD_PACKAGE, **error_response(404)})
    def get(self, request, ocid):
        releases = packages.releases_of_ocid(ocid)
        if not releases:
            raise NotFound(_("No published tender has this ocid."))
        return Response(packages.record_package(releases, request.build_absolute_uri()))


async def _aiter(steps):
    """The dump for an ASGI server: each step's queries in the sync thread, the bytes sent as they come."""
    step = sync_to_async(lambda: next(steps, None), thread_sensitive=True)
    while (item := await step()) is not None:
        yield item[1]


class ReleaseDumpView(_Public, APIView):
    """All releases as one JSON Lines file (one release per line, log order), streamed."""

    @extend_schema(operation_id="api_ocds_releases_jsonl", parameters=WINDOW, responses={
        (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="One OCDS release per line.")})
    def get(self, request):
        since, until = packages.window(request.query_params)
        steps = packages.jsonl_steps(since, until)
        if isinstance(request._request, ASGIRequest):
            content = _aiter(steps)
        else:
            content = (data for _count, data in steps)
        response = StreamingHttpResponse(content, content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="ocds-releases.jsonl"'
        return response
