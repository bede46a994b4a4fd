"""REST channel: like Rasa's, but each bot message keeps its text, buttons and data together.

POST ``/webhooks/rest/webhook`` with ``{"sender": "...", "message": "..."}`` returns a list of
messages ``{"recipient_id", "text", "buttons"?, "custom"?}``; ``custom.pobyt`` holds the
knowledge-base ids and source ids the answer was built from.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)
#: Longest message accepted; longer ones get a 413 before any processing.
MAX_MESSAGE_CHARS = 4000


class MessageCollector(CollectingOutputChannel):
    """Collects the bot's messages, one dict per message (custom data stays with its text)."""

    @classmethod
    def name(cls) -> str:
        """Returns the output channel's name."""
        return "rest"

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Stores one bot message with all its parts."""
        stored: Dict[str, Any] = {"recipient_id": recipient_id}
        for key in ("text", "buttons", "image", "attachment", "custom"):
            if message.get(key):
                stored[key] = message[key]
        await self._persist_message(stored)


class RestInput(InputChannel):
    """The REST channel (``rest`` in credentials.yml) with input checks and merged messages."""

    @classmethod
    def name(cls) -> str:
        """Returns the channel's name (its URL prefix)."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Returns the routes: ``GET /`` (health) and ``POST /webhook``."""
        blueprint = Blueprint("pobyt_rest", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - any parse failure is the client's error
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "expected a JSON object"}, status=400)
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender.strip() or not isinstance(text, str):
                return response.json({"error": "'sender' and 'message' must be strings"}, status=400)
            if len(text) > MAX_MESSAGE_CHARS:
                return response.json({"error": f"message longer than {MAX_MESSAGE_CHARS} characters"}, status=413)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = MessageCollector()
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            messages: List[Dict[str, Any]] = collector.messages
            return response.json(messages)

        return blueprint
