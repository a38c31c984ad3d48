"""The OpenAPI schema and its documentation pages."""
import pytest

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/auth/token/", "post"), ("/api/v1/me/", "get"), ("/api/v1/ladders/", "get"),
    ("/api/v1/cases/", "get"), ("/api/v1/cases/", "post"), ("/api/v1/escalations/", "get"),
    ("/api/v1/escalations/", "post"), ("/api/v1/escalations/{id}/", "get"),
    ("/api/v1/notifications/", "get"), ("/api/v1/notifications/{id}/read/", "post"),
    ("/api/v1/absences/", "get"), ("/api/v1/absences/", "post"),
} | {
    (f"/api/v1/escalations/{{id}}/{action}/", "post")
    for action in ("arrange-meeting", "respond", "accept", "escalate", "skip", "withdraw", "reopen",
                   "start-mediation", "end-mediation", "log-with-board", "reassign", "notes")
}


@pytest.fixture
def schema(api):
    response = api("bexley-practitioner").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    from drf_spectacular.validation import validate_schema

    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_every_endpoint_is_in_the_schema_with_a_description(schema):
    found = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert found >= OPERATIONS
    for path, method in OPERATIONS:
        assert schema["paths"][path][method]["description"], (path, method)


def test_every_action_documents_its_refusals(schema):
    for path, method in OPERATIONS:
        if "{id}/" in path and path.startswith("/api/v1/escalations/") and path.count("/") > 5:
            assert {"200", "400", "401", "403", "404", "409"} <= set(schema["paths"][path][method]["responses"]), path


def test_request_bodies_forbid_unknown_fields(schema):
    body = schema["paths"]["/api/v1/escalations/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert component["additionalProperties"] is False
    assert {"case", "ladder", "risk_level", "category", "decision_challenged", "concern", "basis",
            "desired_outcome"} <= set(component["required"])


def test_the_swagger_page_loads_its_assets_from_this_server_not_a_cdn(api):
    page = api("bexley-practitioner").get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html and "unpkg" not in html


def test_the_redoc_page_loads_its_assets_from_this_server(api):
    html = api("bexley-practitioner").get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in html and "cdn." not in html
