import pytest


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker):
    """The whole demo, seeded once for a module in a transaction rolled back at its end (each test runs in a
    savepoint inside it, so it only reads)."""
    from django.db import transaction
    from django.test.utils import override_settings

    from demo.services import demo_seed

    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        demo_seed()
        yield
        transaction.set_rollback(True)
