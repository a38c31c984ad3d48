"""The address of the person at the other end of a request, believing ``X-Forwarded-For`` only from our proxies.

A load balancer in front of the web instances appends the address it saw to ``X-Forwarded-For``. Anyone can
send that header, so it is read only when the connection itself comes from a trusted proxy
(``TRUSTED_PROXIES``: addresses or networks, empty by default), and then from the right: the first address
that is not one of our proxies is the client. Used for sign-in lockout, throttles and the audit trail.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))


def client_address(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or, behind a trusted proxy, the nearest untrusted forwarded hop."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not _trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a forged, unparseable hop: fall back to the proxy itself
    return hops[0] if hops else remote
