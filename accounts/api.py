"""API of a user's own keys and tokens."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from config.ids import IdLookupMixin

from . import actions
from .models import ApiToken, PublicKey


class PublicKeySerializer(serializers.ModelSerializer):
    pem = serializers.CharField(write_only=True, max_length=10_000)

    class Meta:
        model = PublicKey
        fields = ["id", "purpose", "pem", "spki_pem", "fingerprint", "created_at", "revoked_at"]
        read_only_fields = ["id", "spki_pem", "fingerprint", "created_at", "revoked_at"]


class PublicKeyViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = PublicKeySerializer
    pagination_class = None  # a user has a handful of keys: the list is one plain array
    may_conflict = False

    def list(self, request):
        keys = PublicKey.objects.filter(user=request.user)
        return Response(PublicKeySerializer(keys, many=True).data)

    def create(self, request):
        data = PublicKeySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = actions.register_public_key(actor=request.user, purpose=data.validated_data["purpose"],
                                          pem=data.validated_data["pem"])
        return Response(PublicKeySerializer(key).data, status=status.HTTP_201_CREATED)


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class ApiTokenViewSet(IdLookupMixin, viewsets.GenericViewSet):
    """Tokens are managed from a signed-in browser session only: a token cannot mint tokens."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer
    pagination_class = None  # one plain array, like keys
    may_conflict = False

    def list(self, request):
        return Response(ApiTokenSerializer(ApiToken.objects.filter(user=request.user), many=True).data)

    @extend_schema(responses={201: {"type": "object", "properties": {"token": {"type": "string"}}}})
    def create(self, request):
        data = ApiTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, token = actions.create_api_token(actor=request.user, name=data.validated_data["name"])
        return Response({**ApiTokenSerializer(row).data, "token": token}, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        actions.revoke_api_token(actor=request.user, token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
