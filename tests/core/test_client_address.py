"""core.client_address: X-Forwarded-For is believed only from a trusted proxy, read from the right."""
import pytest
from django.test import RequestFactory, override_settings

from core.client import client_address


def request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_an_untrusted_connection_cannot_claim_an_address():
    assert client_address(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"])
@pytest.mark.parametrize("forwarded, expected", [
    ("198.51.100.1", "198.51.100.1"),
    # A client that sends its own header: the proxy appends the real address, which is the one believed.
    ("1.2.3.4, 198.51.100.1", "198.51.100.1"),
    ("198.51.100.1, 10.1.2.3", "198.51.100.1"),
    ("", "127.0.0.1"),
    ("not-an-address", "127.0.0.1"),
])
def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client(forwarded, expected):
    assert client_address(request("127.0.0.1", forwarded)) == expected
