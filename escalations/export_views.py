"""Exports for the child's file: a case's chronology (JSON, from a page and the API) and the written record as a PDF.

Each obeys the read rules: the chronology holds what ``chronology`` lets the reader see; the PDF is the record
page the reader may open. A case or escalation they may not see is not found, exactly as a missing one. Each
download is recorded in the access log (``exported``). The case's reference never travels in a URL's path (it
would reach the request log, docs/security.md V16): the page names the escalation, the API takes the reference
as a parameter, as the subject-access export does.
"""
from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import Action, access_record
from cases.models import Case
from core.api import UserRateThrottle, errors

from . import record_pdf, selectors
from .chronology import (
    chronology_case_of_escalation,
    chronology_cases,
    chronology_document,
    chronology_escalations,
    chronology_recorded,
    chronology_refused,
)
from .views import record_context

REFERENCE_LIMIT = 64  # the case's column
SLUG_LIMIT = 50  # the organisation's slug column
NOT_FOUND = "No case you may see has this reference."


def _file_safe(value: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in value)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"  # about a child: no shared or browser cache keeps a copy
    return response


def _chronology(request: HttpRequest, case: Case, *, via: str) -> dict:
    escalations = chronology_escalations(case=case, user=request.user)
    document = chronology_document(case=case, user=request.user, escalations=escalations)
    chronology_recorded(case=case, escalations=escalations, request=request, via=via)
    return document


@login_required
@require_GET
def chronology_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The chronology of the case of an escalation the person may see, as a JSON file to put on the child's file."""
    case = chronology_case_of_escalation(user=request.user, pk=pk)
    if case is None:
        raise Http404("No escalation found")
    document = _chronology(request, case, via="page")
    body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="chronology-{_file_safe(case.reference)}-'
                                       f'{timezone.localdate():%Y-%m-%d}.json"')
    return _private(response)


class CaseChronologyApi(APIView):
    throttle_classes = [UserRateThrottle]

    @extend_schema(
        operation_id="cases_chronology",
        summary="A case's chronology: everything held about its escalations you may see, in time order",
        description=(
            "For anyone who may see the case (staff of its organisation, and whoever sees one of its escalations): "
            "`{format, version, generated_at, generated_at_words, generated_for, case: {reference, display_name, "
            "organisation}, escalations: [...], chronology: [...]}`. Each escalation you may see (others are left "
            "out) has its `number`, ladder, category, risk level, raiser, holder and every holder, state, stage, "
            "deadlines, decision, `outcome` (the agreed outcome and how outstanding issues will be pursued), its "
            "`timeline`, `notes`, `meetings`, `board_logs`, `panel`, `debriefs` and `attachments` (name, size, "
            "who uploaded it and when; never the content). `chronology` is every timeline entry of them all, "
            "oldest first, each naming its `escalation`. Moments are UTC (ISO 8601) with a `*_words` twin in "
            "London time. The child's `display_name` is given only to staff of the case's organisation (empty for "
            "anyone else, and withheld from the text). `version` changes when a field changes meaning. A case you "
            "may not see is 404, as a missing one; each download is recorded in the access log."
        ),
        parameters=[
            OpenApiParameter("reference", OpenApiTypes.STR, required=True,
                             description="The exact reference in the case-management system."),
            OpenApiParameter("organisation", OpenApiTypes.STR, required=False,
                             description="The slug of the case's organisation: needed only where two organisations "
                                         "you see hold a case with the same reference."),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The chronology."), **errors(400, 404)},
        tags=["cases"],
    )
    def get(self, request):
        reference = (request.query_params.get("reference") or "").strip()
        organisation = (request.query_params.get("organisation") or "").strip()
        if not reference:
            raise ValidationError({"reference": ["Enter the case reference."]})
        if len(reference) > REFERENCE_LIMIT:
            raise ValidationError({"reference": [f"The case reference must be {REFERENCE_LIMIT} characters or fewer."]})
        if len(organisation) > SLUG_LIMIT:
            raise ValidationError({"organisation": [f"The organisation must be {SLUG_LIMIT} characters or fewer."]})
        for field, value in (("reference", reference), ("organisation", organisation)):
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                raise ValidationError({field: ["Use letters, digits and punctuation only: no control characters."]})
        cases = chronology_cases(user=request.user, reference=reference, organisation=organisation)
        if not cases:
            chronology_refused(request=request, reference=reference, organisation=organisation)
            raise NotFound(NOT_FOUND)
        if len(cases) > 1:
            raise ValidationError({"organisation": [
                "More than one case you may see has this reference: give the slug of the case's organisation, one of "
                + ", ".join(case.organisation.slug for case in cases) + "."]})
        response = Response(_chronology(request, cases[0], via="api"))
        return _private(response)


@login_required
@require_GET
def record_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The written record as a PDF, from the record page's own HTML; named by the escalation's number."""
    escalation = selectors.escalation_get(user=request.user, pk=pk)
    unavailable = record_pdf.pdf_unavailable()
    if unavailable:
        return render(request, "escalations/pdf_unavailable.html", {"escalation": escalation, "reason": unavailable},
                      status=503)
    html = render_to_string("escalations/record.html", record_context(request, escalation), request=request)
    pdf = record_pdf.pdf_from_html(html)
    access_record(action=Action.EXPORTED, obj=escalation, request=request, detail={"via": "record_pdf"})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="escalation-{escalation.pk}-written-record.pdf"'
    return _private(response)
