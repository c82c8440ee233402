"""Personal API tokens: `Authorization: Token <token>`. Only the token's SHA-256 is stored."""

import hashlib

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken

PREFIX = "bzt_"


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"token", b"bearer"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("invalid token header", code="invalid_token")
        token = header[1].decode("ascii", "replace")
        row = (ApiToken.objects.select_related("user").filter(digest=digest(token), revoked_at__isnull=True)
               .first())
        if row is None or not row.user.is_active:
            raise exceptions.AuthenticationFailed("invalid or revoked token", code="invalid_token")
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row.user, row

    def authenticate_header(self, request):
        return self.keyword
