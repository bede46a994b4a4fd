"""Who is asking, and over which scheme, when the console sits behind a TLS proxy.

Sanic believes forwarding headers only as configured: ``SANIC_FORWARDED_SECRET`` (an RFC 7239
``Forwarded`` header carrying the proxy's secret) or ``SANIC_PROXIES_COUNT`` (the address that
many entries from the right of ``X-Forwarded-For``: the proxy appends the client's own, so a value
the client sent stays to the left). ``SANIC_REAL_IP_HEADER`` is not believed here: Sanic takes
that header from any client, and a proxy that does not overwrite it (Caddy does not) let each
guess of a password come from a new made-up address. Without a trusted proxy the console uses the
connection itself: the peer's address and the connection's scheme.
"""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace
from typing import Any, Dict

from sanic.headers import parse_forwarded, parse_host, parse_xforwarded


def trusted_forwarding(request: Any) -> Dict[str, Any]:
    """Returns the forwarding information of a trusted proxy (``for``, ``proto``, ``host``), or {}."""
    config = request.app.config
    secret, proxies = config.get("FORWARDED_SECRET"), config.get("PROXIES_COUNT") or 0
    if not secret and not proxies:
        return {}  # no proxy is trusted
    # Sanic's parsing, without the header any client can set.
    trusted = SimpleNamespace(
        FORWARDED_SECRET=secret,
        REAL_IP_HEADER=None,
        PROXIES_COUNT=proxies,
        FORWARDED_FOR_HEADER=config.get("FORWARDED_FOR_HEADER") or "X-Forwarded-For",
    )
    return dict(parse_forwarded(request.headers, trusted) or parse_xforwarded(request.headers, trusted) or {})


def client_address(request: Any) -> str:
    """The client's address: from a trusted proxy, else the connection's peer."""
    return str(trusted_forwarding(request).get("for") or request.ip or "unknown")


def request_scheme(request: Any) -> str:
    """``https`` or ``http``: from a trusted proxy, else the connection's own."""
    proto = str(trusted_forwarding(request).get("proto") or "").lower()
    if proto in ("http", "https"):
        return proto
    transport = getattr(request, "transport", None)
    return "https" if transport is not None and transport.get_extra_info("sslcontext") else "http"


def request_host(request: Any) -> str:
    """The host the client asked for: from a trusted proxy, else the Host header."""
    return str(trusted_forwarding(request).get("host") or request.headers.get("host", ""))


def is_local(host: str) -> bool:
    """True when ``host`` (with or without a port) is this machine: cookies need not be Secure there."""
    name, _ = parse_host(host)
    name = (name or "").strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
