"""The widget channel's pages and the widget script's rules, without a browser."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from types import SimpleNamespace
from typing import Any, Dict, Tuple

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from pobyt.channels.identity import SenderTokens
from pobyt.channels.widget import WIDGET_DIR, WidgetInput, demo_page, demo_security_policy

TOKENS = SenderTokens(b"a test secret of the widget's tokens")


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


# ---- POST /webhooks/widget/forget, without a server: the handler with a request as Sanic builds it


def _forget_request(body: bytes, agent: Any) -> Any:
    """A request whose ``json`` parses ``body`` as Sanic does (a parse failure raises)."""

    class FakeRequest:
        app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))

        @property
        def json(self) -> Any:
            return json.loads(body)

    return FakeRequest()


def _agent_with(sender: str) -> Any:
    store = InMemoryTrackerStore(Domain.empty())
    store.store[sender] = b"serialised tracker"
    return SimpleNamespace(tracker_store=store, lock_store=InMemoryLockStore())


def _forget(body: bytes, agent: Any = None) -> Tuple[int, Dict[str, Any]]:
    channel = WidgetInput(TOKENS)
    answer = asyncio.run(channel.forget(_forget_request(body, agent or _agent_with("someone"))))
    return answer.status, json.loads(answer.body)


def _body(token: str) -> bytes:
    return json.dumps({"sender": token}).encode()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\x00", b"[]", b"null", b"{}", b'{"sender": 5}', b'{"sender": ""}', b'{"sender": "a\\nb"}',
     b'{"sender": "' + b"x" * 129 + b'"}'],
)  # fmt: skip
def test_forget_refuses_broken_requests_with_a_json_error(body: bytes):
    status, answer = _forget(body)
    assert status == 400
    assert "sender" in answer["error"] or "JSON" in answer["error"]


def test_forget_deletes_the_conversation_and_a_token_without_one_is_fine():
    token = TOKENS.issue()
    conversation = TOKENS.conversation(token)
    agent = _agent_with(conversation)
    assert _forget(_body(token), agent) == (200, {"forgotten": True})
    assert conversation not in agent.tracker_store.store
    assert _forget(_body(TOKENS.issue()), agent) == (200, {"forgotten": True})


def test_forget_says_so_when_the_store_cannot_delete():
    agent = SimpleNamespace(tracker_store=object(), lock_store=InMemoryLockStore())
    status, answer = _forget(_body(TOKENS.issue()), agent)
    assert status == 503 and answer["error"]


def test_a_flood_of_forget_requests_is_limited(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("POBYT_RATE_LIMIT_PER_MINUTE", "1")
    monkeypatch.setenv("POBYT_RATE_LIMIT_BURST", "2")
    channel = WidgetInput(TOKENS)
    token = TOKENS.issue()
    agent = _agent_with(TOKENS.conversation(token))
    statuses = [asyncio.run(channel.forget(_forget_request(_body(token), agent))).status for _ in range(3)]
    assert statuses == [200, 200, 429]
