"""Attachments on the local disk by default, on S3-compatible object storage when ATTACHMENTS_S3_BUCKET is set."""
from pathlib import Path

from storages.backends.s3 import S3Storage

from escalation_tracker.settings import attachments_storage_from_env
from escalations.attachments import attachments_storage


def test_the_local_disk_is_the_default(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"

    storage = attachments_storage()

    assert Path(storage.location) == tmp_path / "attachments"
    assert (storage.file_permissions_mode, storage.directory_permissions_mode) == (0o640, 0o750)
    assert attachments_storage_from_env({}, root=tmp_path)["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_a_bucket_in_the_environment_puts_attachments_on_s3_compatible_storage(settings):
    env = {"ATTACHMENTS_S3_BUCKET": "county-attachments", "ATTACHMENTS_S3_ENDPOINT_URL": "https://objects.example.org",
           "ATTACHMENTS_S3_REGION": "eu-west-2", "ATTACHMENTS_S3_ACCESS_KEY_ID": "key-id",
           "ATTACHMENTS_S3_SECRET_ACCESS_KEY": "secret"}
    settings.STORAGES = {**settings.STORAGES, "attachments": attachments_storage_from_env(env, root=Path("/unused"))}

    storage = attachments_storage()

    assert isinstance(storage, S3Storage)
    assert storage.bucket_name == "county-attachments"
    assert storage.endpoint_url == "https://objects.example.org"
    assert storage.region_name == "eu-west-2"
    assert storage.default_acl == "private" and storage.querystring_auth is True
    assert storage.file_overwrite is False  # a random name each time; never replaces another upload
    assert storage.object_parameters == {"ServerSideEncryption": "AES256"}
    assert storage.location == "attachments"
