"""The subject-access export's page and API endpoint: the case's organisation's PSW downloads the document.

Both check ``may_export``: anyone who is not a PSW is refused (403); a PSW asking for a reference their
organisation does not hold is told there is no such case, exactly as for a reference nobody holds.
"""
from __future__ import annotations

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import UserRateThrottle, errors

from .subject_access import case_for_export, may_export_any, subject_access_document, subject_access_recorded

REFUSAL = "Only your organisation's principal social worker can answer a subject-access request."
REFERENCE_LIMIT = 64  # the case's column


class SubjectAccessForm(forms.Form):
    reference = forms.CharField(
        label="Case reference", max_length=REFERENCE_LIMIT, required=True,
        help_text="The reference in the case-management system, for example LCS-104233.",
        error_messages={"required": "Enter the case reference",
                        "max_length": f"The case reference must be {REFERENCE_LIMIT} characters or fewer"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )


def _download(document: dict, *, reference: str) -> HttpResponse:
    body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in reference)
    response["Content-Disposition"] = (f'attachment; filename="subject-access-{safe}-'
                                       f'{timezone.localdate():%Y-%m-%d}.json"')
    response["Cache-Control"] = "private, no-store"  # everything about a child: no cache keeps a copy
    return response


@login_required
@require_http_methods(["GET", "POST"])
def subject_access(request: HttpRequest) -> HttpResponse:
    """GET: the form; POST: the JSON document as a download (the reference travels in the body, never a URL)."""
    user = request.user
    if not may_export_any(user):
        raise PermissionDenied(REFUSAL)
    form = SubjectAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"].strip()
        case = case_for_export(user=user, reference=reference)
        if case is None:
            form.add_error("reference", f"{user.organisation.name} holds no case with this reference")
        else:
            document = subject_access_document(case=case, actor=user)
            subject_access_recorded(case=case, actor=user, via="page", escalations=len(document["escalations"]))
            return _download(document, reference=case.reference)
    response = render(request, "escalations/subject_access.html", {"form": form})
    response["Cache-Control"] = "private, no-store"
    return response


class SubjectAccessApi(APIView):
    throttle_classes = [UserRateThrottle]

    @extend_schema(
        operation_id="cases_subject_access",
        summary="Export everything held about a case (subject access)",
        description="The case of your organisation with this reference, its escalations with every field, their "
                    "participants, timelines, board logs, panels, debriefs, attachments' metadata, linked systemic "
                    "issues and notifications, and the PSW digests that list it, as one JSON document. Only the "
                    "principal social worker of the case's organisation; anyone else is refused (403), and a "
                    "reference the organisation does not hold is 404.",
        parameters=[OpenApiParameter("reference", OpenApiTypes.STR, required=True,
                                     description="The exact reference in the case-management system.")],
        responses={200: OpenApiTypes.OBJECT, **errors(400, 404)},
        tags=["cases"],
    )
    def get(self, request):
        user = request.user
        if not may_export_any(user):
            raise ApiPermissionDenied(REFUSAL)
        reference = (request.query_params.get("reference") or "").strip()
        if not reference:
            raise ValidationError({"reference": ["Enter the case reference."]})
        if len(reference) > REFERENCE_LIMIT:
            raise ValidationError({"reference": [f"The case reference must be {REFERENCE_LIMIT} characters or fewer."]})
        case = case_for_export(user=user, reference=reference)
        if case is None:
            raise NotFound("Your organisation holds no case with this reference.")
        document = subject_access_document(case=case, actor=user)
        subject_access_recorded(case=case, actor=user, via="api", escalations=len(document["escalations"]))
        response = Response(document)
        response["Cache-Control"] = "private, no-store"
        return response
