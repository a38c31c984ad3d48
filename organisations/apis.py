"""Sign-in for scripts (a token) and who the signed-in person is."""
from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer, StrictCharField, TokenRateThrottle, UserRateThrottle, errors

from .second_factor import lockout_retry_at, second_factor_refusal
from .tokens import token_issue


class TokenInput(InputSerializer):
    username = StrictCharField(max_length=150)
    # Long enough for any pass phrase; a megabyte of "password" is refused before it is hashed.
    password = StrictCharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})
    code = StrictCharField(
        required=False, max_length=16,
        help_text="The 6-digit code from the person's authenticator app: required where they have set one "
                  "up or their organisation requires a second factor.",
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class TokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        description="Exchange a username and password for a token. Send it on every request as "
                    "`Authorization: Token <token>`. Each call issues a new token, which expires after "
                    "`API_TOKEN_HOURS` (10 by default) and ends when the person signs out, changes their "
                    "password or is switched off. Where the person has a second factor, or their "
                    "organisation requires one, `code` (from their authenticator app) is required too. "
                    "Refused (400, with the reason) for the people of an organisation that has turned "
                    "passwords off: they sign in with single sign-on. "
                    "Throttled (the `token` rate) per client address; after 5 wrong passwords for one "
                    "username from one address, that pair is locked out (429) for 15 minutes.",
        request=TokenInput,
        responses={200: TokenOutput, **errors(400)},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if getattr(request, "axes_locked_out", False):
            retry_at = lockout_retry_at(request)
            wait = max(1, int((retry_at - timezone.now()).total_seconds()))
            raise Throttled(wait=wait, detail=(
                f"Too many unsuccessful sign-ins for this username from this address. "
                f"Try again after {timezone.localtime(retry_at):%H:%M} ({wait} seconds)."))
        if user is None or not user.is_active:
            # The password backend (identity.backends) leaves its words on the request where the person's
            # organisation has turned passwords off.
            refusal = getattr(request, "sign_in_refusal", None)
            raise serializers.ValidationError(
                {"non_field_errors": [refusal or "Unable to sign in with that username and password."]},
            )
        refusal = second_factor_refusal(user, data.validated_data.get("code", ""))
        if refusal is not None:
            raise serializers.ValidationError({"code": [refusal]})
        return Response(TokenOutput({"token": token_issue(user=user)}).data, status=status.HTTP_200_OK)


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    organisation = serializers.CharField(source="organisation.slug", allow_null=True,
                                         help_text="The organisation's slug; null for partnership board users.")
    roles = serializers.SerializerMethodField(
        help_text="The person's roles (one today; a list so that more can follow).",
    )
    partnership = serializers.CharField(source="partnership.slug", allow_null=True,
                                        help_text="For a partnership's QA&P chair and board members.")

    def get_roles(self, user) -> list[str]:
        return [user.role]


class MeApi(APIView):
    throttle_classes = [UserRateThrottle]

    @extend_schema(
        operation_id="me_retrieve",
        summary="Who am I",
        description="The signed-in person: username, organisation, roles and partnership.",
        responses={200: MeOutput, **errors()},
        tags=["auth"],
    )
    def get(self, request):
        return Response(MeOutput(request.user).data)
