"""The OpenAPI schema, made to tell the truth: how to authenticate, which ids a path takes, and which
errors (all of one shape, with a stable `code`) each operation can answer.

Checked by tests/api/test_schema_conformance.py, which runs schemathesis against the live schema."""

import uuid

import uritemplate
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

from accounts.tokens import TokenAuthentication

from .ids import ID_SCHEMA, IdField


class TokenScheme(OpenApiAuthenticationExtension):
    """accounts.tokens.TokenAuthentication: a personal API token, as the bidder CLI sends it."""

    target_class = "accounts.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal API token (made on the 密钥与令牌 page), sent as `Token <token>` "
                           "(what tools/bidder.py sends) or `Bearer <token>`.",
        }


class ErrorSerializer(serializers.Serializer):
    """Every error of the API (config/api.py exception_handler)."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_found`, `invalid_parameter`.")
    detail = serializers.CharField(required=False, help_text="What went wrong, in the request's language.")
    errors = serializers.DictField(required=False, help_text="With code `invalid`: the messages by field.")
    parameter = serializers.CharField(required=False,
                                      help_text="With code `invalid_parameter`: the parameter that was refused.")

    class Meta:
        ref_name = "Error"


ERROR_DESCRIPTIONS = {
    400: "Bad input: `invalid` (see `errors`), `invalid_parameter` (see `parameter`) or a rule of the action.",
    401: "No valid credentials: `not_authenticated`, `invalid_token`.",
    403: "Not allowed: `permission_denied`, `not_authenticated` (session only), or a CSRF failure.",
    404: "Not found, not visible to you, or past the last page: `not_found`.",
    409: "The object is not in a state that allows this now.",
    413: "Too large.",
}


def error_response(status):
    """For @extend_schema(responses=…) on an error that the rules below cannot guess (e.g. 413)."""
    return {status: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])}


def _has_id_field(serializer):
    """Does a request body name another object by id (which may not exist: 404)?"""
    if isinstance(serializer, type) and issubclass(serializer, serializers.Serializer):
        serializer = serializer()
    if not isinstance(serializer, serializers.Serializer):
        return False
    return any(isinstance(field, IdField) for field in serializer.fields.values())


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        lookup_type = getattr(self.view, "lookup_type", None)
        # drf-spectacular names the router's `pk` `id` in paths (SCHEMA_COERCE_PATH_PK).
        if lookup_type is not None and "id" in uritemplate.variables(self.path):
            schema = {"type": "string", "format": "uuid"} if lookup_type is uuid.UUID else dict(ID_SCHEMA)
            parameters = [OpenApiParameter("id", schema, OpenApiParameter.PATH), *parameters]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            schema = self.resolve_serializer(ErrorSerializer, "response").ref
            for status in sorted(self._error_statuses()):
                responses.setdefault(str(status), {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": schema}},
                })
        return responses

    def _error_statuses(self):
        """Which errors this operation can answer, from how the view authenticates and what it reads."""
        view = self.view
        safe = self.method in permissions.SAFE_METHODS
        perms = [type(p) for p in view.get_permissions()]
        public = not perms or permissions.AllowAny in perms or (
            permissions.IsAuthenticatedOrReadOnly in perms and safe)
        token = any(isinstance(a, TokenAuthentication) for a in view.get_authenticators())
        has_path_id = bool(uritemplate.variables(self.path))
        paginated = self._is_list_view() and self._get_paginator() is not None
        body_ids = not safe and _has_id_field(self.get_request_serializer())

        statuses = set()
        if not safe or self._get_parameters():
            statuses.add(400)
        if token:
            statuses.add(401)  # a wrong or revoked token is refused even where no login is needed
        if not public and (not safe or not token or has_path_id):
            statuses.add(403)  # writes: the action's rules and CSRF; reads: the object's owner
        if has_path_id or paginated or body_ids:
            statuses.add(404)
        if not safe and not public and getattr(view, "may_conflict", True):
            statuses.add(409)
        return statuses
