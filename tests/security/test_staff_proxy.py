"""Attack/fault: the staff console behind the documented TLS proxy.

Behind HTTPS the browser's Origin is ``https://host`` while Sanic, unless told to trust the proxy,
sees ``http``: every sign-in was refused with 403. ``SANIC_REAL_IP_HEADER=x-real-ip`` (documented
before) let any client name its own address, so each guess came from a new one and the per-address
throttle never counted. Session cookies were Secure only when the server itself saw HTTPS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import requests

from pobyt.staff.auth import COOKIE_NAME
from tests.test_staff_input import HEADERS, PASSWORD, USER, console_env, running_console

SITE = "pobyt.example.org"


def _sign_in(base: str, headers: Dict[str, str], user: str = USER, password: str = PASSWORD) -> requests.Response:
    return requests.post(
        f"{base}/staff/api/login", json={"user": user, "password": password}, headers={**HEADERS, **headers}, timeout=30
    )


@pytest.fixture
def console(request: Any, tmp_path: Path) -> Iterator[str]:
    """The console with the proxy settings of the test's parameter (environment variables)."""
    with running_console(console_env(tmp_path, **getattr(request, "param", {}))) as (base, _):
        yield base


def _through_caddy(client: str, **extra: str) -> Dict[str, str]:
    # What Caddy's reverse_proxy sends: the client's address appended, the original scheme and host.
    return {
        "X-Forwarded-For": client,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": SITE,
        "Origin": f"https://{SITE}",
        **extra,
    }


@pytest.mark.parametrize("console", [{"SANIC_PROXIES_COUNT": "1"}], indirect=True)
def test_behind_a_trusted_proxy_sign_in_works_with_a_secure_cookie_and_hsts(console: str):
    reply = _sign_in(console, _through_caddy("203.0.113.7"))
    assert reply.status_code == 200, reply.text
    assert "secure" in reply.headers["Set-Cookie"].lower()
    assert reply.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("console", [{"SANIC_FORWARDED_SECRET": "proxy-secret"}], indirect=True)
def test_a_forwarded_header_counts_only_with_the_proxys_secret(console: str):
    good = f"for=203.0.113.7;proto=https;host={SITE};secret=proxy-secret"
    reply = _sign_in(console, {"Forwarded": good, "Origin": f"https://{SITE}"})
    assert reply.status_code == 200 and "Strict-Transport-Security" in reply.headers
    forged = "for=203.0.113.8;proto=https;host=evil.example;secret=guess"
    reply = _sign_in(console, {"Forwarded": forged, "Origin": "https://evil.example"})
    assert reply.status_code == 403


def test_behind_an_untrusted_proxy_an_https_page_can_still_sign_in(console: str):
    # The proxy is not configured as trusted: the server sees http, the browser says https://host.
    host = console.split("//", 1)[1]
    reply = _sign_in(console, {"Origin": f"https://{host}", "X-Forwarded-Proto": "https"})
    assert reply.status_code == 200, reply.text
    assert "Strict-Transport-Security" not in reply.headers  # the forwarded scheme is not believed
    assert _sign_in(console, {"Origin": "https://evil.example"}).status_code == 403


@pytest.mark.parametrize(
    "console", [{"SANIC_REAL_IP_HEADER": "x-real-ip"}, {}, {"SANIC_PROXIES_COUNT": "1"}], indirect=True
)
def test_made_up_addresses_do_not_escape_the_address_throttle(console: str):
    for guess in range(5):
        made_up = f"198.51.100.{guess}"
        headers = {"X-Real-IP": made_up, "X-Forwarded-For": f"{made_up}, 127.0.0.1"}
        assert _sign_in(console, headers, user=f"guess{guess}", password="wrong").status_code == 401
    reply = _sign_in(console, {"X-Real-IP": "198.51.100.99", "X-Forwarded-For": "198.51.100.99, 127.0.0.1"})
    assert reply.status_code == 429, "a new made-up address was a new chance"


def test_the_session_cookie_is_secure_outside_localhost(console: str):
    port = console.rsplit(":", 1)[1]
    outside = {"Host": f"staff.example.org:{port}", "Origin": f"http://staff.example.org:{port}"}
    assert "secure" in _sign_in(console, outside).headers["Set-Cookie"].lower()
    local = _sign_in(console, {})
    assert local.status_code == 200 and "secure" not in local.headers["Set-Cookie"].lower()
    assert COOKIE_NAME in local.cookies
