"""Where an endpoint may be: an address on the internet, not the network the server runs in."""
from __future__ import annotations

import ipaddress


def is_public_address(address: str) -> bool:
    """An address on the internet: not this machine, a private network, link-local, or reserved."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0].strip("[]")).is_global
    except ValueError:
        return False


def private_host(host: str | None) -> bool:
    """``localhost``, or an address (written as one) that is not on the internet; a name is judged when sent."""
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not is_public_address(host)
