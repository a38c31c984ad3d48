"""The OpenAPI schema documents the service token: an HTTP bearer scheme, on exactly the endpoints that accept it,
each naming its scope; and the schema stays valid."""
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ACCEPTING = {("/api/v1/cases/", "post", "cases:create"), ("/api/v1/escalations/", "get", "escalations:read"),
             ("/api/v1/escalations/", "post", "escalations:raise"), ("/api/v1/escalations/{id}/", "get",
                                                                      "escalations:read")}


@pytest.fixture
def schema(people):
    client = APIClient()
    client.force_authenticate(people["bexley-practitioner"])
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_with_the_bearer_scheme_is_valid_openapi_3(schema):
    from drf_spectacular.validation import validate_schema

    validate_schema(schema)
    scheme = schema["components"]["securitySchemes"]["serviceToken"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "etcms_<key>")


def test_only_the_endpoints_of_the_scopes_accept_it_and_each_names_its_scope(schema):
    accepting = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if any("serviceToken" in requirement for requirement in operation.get("security", [])):
                accepting.add((path, method))
    assert accepting == {(path, method) for path, method, _ in ACCEPTING}
    for path, method, scope in ACCEPTING:
        assert f"the scope `{scope}`" in schema["paths"][path][method]["description"]
    raise_body = schema["paths"]["/api/v1/escalations/"]["post"]["requestBody"]["content"]["application/json"]
    component = schema["components"]["schemas"][raise_body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert "raiser" in component["properties"] and "raiser" not in component.get("required", [])
