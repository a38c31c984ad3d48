"""Fixtures of the access-log tests: the rows one request leaves, and an escalation with an attachment."""
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rows():
    """rows(): the access log's rows, oldest first, as dicts of the columns tests look at."""
    from audit.models import AccessEvent

    def read(**filters):
        return list(AccessEvent.objects.filter(**filters).order_by("pk").values(
            "user__username", "username", "action", "outcome", "status", "object_kind", "object_id",
            "escalation_id", "organisation__slug", "partner_organisation__slug", "address", "method", "path",
            "detail", "at"))

    return read


@pytest.fixture
def attachment(settings, tmp_path, raise_escalation, people):
    """A PDF attached by the raiser to a fresh Bexley escalation."""
    from escalations.attachments import attachment_create

    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    upload = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", content_type="application/pdf")
    return attachment_create(escalation=escalation, actor=people["bexley-practitioner"], upload=upload)
