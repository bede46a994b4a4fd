"""The widget channel's pages and the widget script's rules, without a browser."""

from __future__ import annotations

import base64
import hashlib
import re

from pobyt.channels.widget import WIDGET_DIR, demo_page, demo_security_policy


def test_demo_page_escapes_the_widget_url():
    page = demo_page('http://evil"><script>alert(1)</script>')
    assert "<script>alert(1)" not in page
    assert "http://evil&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_demo_policy_allows_only_the_pages_own_style_and_scripts_from_the_server():
    page = demo_page("http://localhost:5005/webhooks/widget/widget.js")
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = demo_security_policy(page)
    assert f"style-src 'self' 'sha256-{digest}'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy


def test_widget_script_never_parses_text_as_html():
    script = (WIDGET_DIR / "widget.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
