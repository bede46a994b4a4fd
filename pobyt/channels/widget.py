"""Website chat widget: its script, a demo page, and its own message and delete routes.

``GET /webhooks/widget/widget.js`` is the script partners embed with one tag; ``GET
/webhooks/widget/demo`` is a page that embeds it. A widget first asks ``POST
/webhooks/widget/session`` for a sender token (signed by the server:
:class:`pobyt.channels.identity.SenderTokens`), keeps it, and sends it as ``sender`` with every
message to ``POST /webhooks/widget/webhook`` (the REST channel's JSON) and with ``POST
/webhooks/widget/forget``, which deletes the conversation from the tracker store
(:func:`pobyt.privacy.forget_conversation`). Both refuse a sender that is not a token this server
signed (403 with a polite ``text``): nobody reaches a conversation whose token they were not given.
Cross-origin pages need their origin in Rasa's ``--cors`` (``POBYT_WIDGET_ORIGINS`` in
``scripts/run.sh``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from pobyt import privacy
from pobyt.channels import guard
from pobyt.channels.identity import SenderTokens
from pobyt.channels.rest import JsonMessageChannel
from pobyt.messages import language_or_default, say
from pobyt.ratelimit import Decision

#: Where widget.js and demo.html live (the repository's widget/ folder).
WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
#: Browsers may reuse the script for a few minutes; a new release reaches pages soon after.
SCRIPT_CACHE = "public, max-age=300"
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _read(name: str) -> str:
    # Read per request (the files are small): an edited widget is served without a restart.
    return (WIDGET_DIR / name).read_text(encoding="utf-8")


def demo_page(widget_url: str) -> str:
    """Returns the demo page with the widget's absolute URL written into its embedding example."""
    return _read("demo.html").replace("WIDGET_URL", html.escape(widget_url, quote=True))


def demo_security_policy(page: str) -> str:
    """Returns a strict Content-Security-Policy for the demo page: scripts and requests from this server only.

    The page's own inline style is allowed by its hash, so the widget is shown working on a page
    that forbids inline scripts and styles, as careful partner sites do.
    """
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
        for style in _STYLE.findall(page)
    )
    return (
        "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
        f"style-src 'self' {hashes}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


class WidgetInput(JsonMessageChannel):
    """The website widget (``widget`` in credentials.yml): its files, sender tokens, messages, deletion."""

    def __init__(self, tokens: Optional[SenderTokens] = None) -> None:
        # The REST channel's checks and per-sender limit (a flood of deletions is a flood too).
        super().__init__()
        self.tokens = tokens or SenderTokens.from_environment()

    @classmethod
    def name(cls) -> str:
        """Returns the channel's name (its URL prefix)."""
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        """Builds the channel; it needs no credentials (the secret comes from POBYT_WIDGET_SECRET)."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Returns the routes: health, ``widget.js``, ``demo``, and ``POST`` ``session``, ``webhook``, ``forget``."""
        blueprint = Blueprint("pobyt_widget", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/widget.js", methods=["GET"])
        async def script(_: Request) -> HTTPResponse:
            return response.text(
                _read("widget.js"),
                content_type="text/javascript; charset=utf-8",
                headers={"Cache-Control": SCRIPT_CACHE, "X-Content-Type-Options": "nosniff"},
            )

        @blueprint.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            # The page's own folder holds widget.js (the page loads it by the relative URL too).
            page = demo_page(f"{request.scheme}://{request.host}{request.path.rsplit('/', 1)[0]}/widget.js")
            return response.html(
                page,
                headers={
                    "Content-Security-Policy": demo_security_policy(page),
                    "X-Content-Type-Options": "nosniff",
                    "Cache-Control": "no-store",
                },
            )

        @blueprint.route("/session", methods=["POST"])
        async def session(_: Request) -> HTTPResponse:
            return self.session()

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        @blueprint.route("/forget", methods=["POST"])
        async def forget(request: Request) -> HTTPResponse:
            return await self.forget(request)

        return blueprint

    def session(self) -> HTTPResponse:
        """Issues a sender token for a new conversation: ``{"sender": "<token>"}``.

        Nothing is stored: the conversation exists once its first message arrives.
        """
        return response.json({"sender": self.tokens.issue()}, headers={"Cache-Control": "no-store"})

    def _conversation(self, request: Request) -> Tuple[Optional[Dict[str, Any]], str, Optional[HTTPResponse]]:
        """Reads the body and the conversation its ``sender`` token stands for, or the refusal to send."""
        body, refusal = guard.body_with_sender(request)
        if body is None:
            return None, "", refusal
        conversation = self.tokens.conversation(body["sender"])
        if conversation is None:
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            language = language_or_default(guard.language_hint(metadata.get("language")))
            refusal = response.json(
                {"error": "'sender' is not a sender token of this server", "text": say("widget.bad_sender", language)},
                status=403,
            )
            return None, "", refusal
        return body, conversation, None

    async def receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """Answers one message of the widget whose token is the body's ``sender``."""
        body, conversation, refusal = self._conversation(request)
        if body is None:
            return refusal
        return await self.answer(request, body, conversation, on_new_message)

    async def forget(self, request: Request) -> HTTPResponse:
        """Deletes the conversation of the body's ``sender`` token: ``{"forgotten": true}`` or a JSON error."""
        body, sender, refusal = self._conversation(request)
        if body is None:
            return refusal
        if self.limiter.check(sender) is not Decision.ALLOW:
            retry_after = max(self.limiter.retry_after(sender), 1)
            return response.json(
                {"error": "too many requests", "retry_after": retry_after},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        if not await privacy.forget_conversation(request.app.ctx.agent, sender):
            return response.json({"error": "the conversation could not be deleted"}, status=503)
        return response.json({"forgotten": True})
