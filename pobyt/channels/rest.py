"""REST channel for integrations: like Rasa's, but each bot message keeps its text, buttons and data together.

POST ``/webhooks/rest/webhook`` with the API token (``Authorization: Bearer <token>`` or
``?token=``) and ``{"sender": "...", "message": "..."}`` returns a list of messages
``{"recipient_id", "text", "buttons"?, "custom"?}``; ``custom.pobyt`` holds the knowledge-base
ids and source ids the answer was built from. The conversation is ``rest:<sender>``.

Broken requests get a 4xx with ``{"error": ...}``; a flood from one sender gets 429 with a polite
``text`` in the person's language; messages without words, and Rasa failing or being late, get a
polite answer (:mod:`pobyt.channels.guard`).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from pobyt import logging_filter, speedups
from pobyt.channels import guard, identity
from pobyt.messages import language_or_default, say
from pobyt.ratelimit import Decision, RateLimiter, RateLimitSettings

logger = logging.getLogger(__name__)
#: Longest message accepted; longer ones get a 413 before any processing.
MAX_MESSAGE_CHARS = guard.MAX_MESSAGE_CHARS


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


class JsonMessageChannel(InputChannel):
    """What the REST channel and the widget share: a JSON message in, the bot's messages out.

    Subclasses decide whose conversation a request addresses (:meth:`answer`'s ``sender``).
    """

    def __init__(self) -> None:
        # Read at start-up: a wrong setting stops the server at once instead of at the first message.
        self.limiter = RateLimiter(RateLimitSettings.from_environment())
        self.timeout_s = guard.reply_timeout()
        logging_filter.install()
        speedups.install()

    async def answer(
        self, request: Request, body: Dict[str, Any], sender: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:  # fmt: skip
        """Answers ``body["message"]`` in conversation ``sender``; replies are addressed to ``body["sender"]``.

        Args:
            request: the HTTP request (its app holds the agent).
            body: the request's JSON object, with a valid ``sender``.
            sender: the conversation id (already scoped to the channel).
            on_new_message: Rasa's handler of a message.

        Returns:
            The bot's messages as JSON, or a JSON refusal (400, 413, 429) with a polite ``text``.
        """
        text = body.get("message")
        if not isinstance(text, str):
            return response.json({"error": "'message' must be a string"}, status=400)
        recipient = body["sender"]
        # Only the language hint is kept: other metadata would be stored with the conversation.
        metadata_in = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        hint = guard.language_hint(metadata_in.get("language"))
        metadata = {"language": hint} if hint else None
        agent = request.app.ctx.agent
        decision = self.limiter.check(sender)
        if decision is not Decision.ALLOW:
            # Not the conversation's language: a flood must not cost a tracker load per message.
            language = language_or_default(hint)
            retry_after = max(self.limiter.retry_after(sender), 1)
            return response.json(
                {
                    "error": "too many messages",
                    "retry_after": retry_after,
                    "text": say("ratelimit.slow_down", language),
                },
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        text = guard.clean_text(text)
        problem = guard.text_problem(text)
        if problem == "input.too_long":
            language = await guard.conversation_language(agent, sender, hint)
            return response.json(
                {"error": f"message longer than {MAX_MESSAGE_CHARS} characters",
                 "text": say(problem, language, max=MAX_MESSAGE_CHARS)},
                status=413,
            )  # fmt: skip
        if problem is not None:
            language = await guard.conversation_language(agent, sender, hint)
            return response.json([self._polite(recipient, say(problem, language), language)])
        collector = MessageCollector()
        user_message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
        finished = await guard.run_bounded(on_new_message(user_message), self.timeout_s)
        # The client knows the conversation by the id it sent (the scoped id is the server's business).
        messages: List[Dict[str, Any]] = [{**m, "recipient_id": recipient} for m in collector.messages]
        if guard.needs_fault_answer(text, len(messages), finished):
            language = await guard.conversation_language(agent, sender, hint, text)
            messages = [self._polite(recipient, guard.technical_problem(language), language)]
        return response.json(messages)

    @staticmethod
    def _polite(recipient: str, text: str, language: str = "") -> Dict[str, Any]:
        """Returns a bot message written by the channel itself (not by Rasa)."""
        message: Dict[str, Any] = {"recipient_id": recipient, "text": text}
        if language:
            message["custom"] = {"pobyt": {"language": language}}
        return message


class RestInput(JsonMessageChannel):
    """The REST channel (``rest`` in credentials.yml), for integrations: needs the API token.

    The token is the one of Rasa's HTTP API (``--auth-token``, POBYT_API_TOKEN), sent as
    ``Authorization: Bearer <token>`` or ``?token=<token>``; without one configured the channel
    is off (503). An integration's ``sender`` ``X`` is the conversation ``rest:X``: it cannot reach
    Telegram's or the widget's conversations (:mod:`pobyt.channels.identity`).
    """

    def __init__(self, token: Optional[str] = None) -> None:
        super().__init__()
        self.token = token if token is not None else identity.api_token()
        if not self.token:
            logger.warning("REST channel off: it needs the API token (rasa run --auth-token or POBYT_API_TOKEN)")

    @classmethod
    def name(cls) -> str:
        """Returns the channel's name (its URL prefix)."""
        return "rest"

    def authorized(self, request: Request) -> bool:
        """Returns whether the request presents the API token."""
        presented = identity.presented_token(request.headers.get("Authorization"), request.args.get("token"))
        return identity.token_matches(presented, self.token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Returns the routes: ``GET /`` (health) and ``POST /webhook``."""
        blueprint = Blueprint("pobyt_rest", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.token else "disabled"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        return blueprint

    async def receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """Answers one message of an integration (checked before the body is read)."""
        if not self.token:
            return response.json({"error": "the REST channel is off: it needs the API token"}, status=503)
        if not self.authorized(request):
            return response.json(
                {"error": "the REST channel needs the API token (Authorization: Bearer <token>)"},
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body, refusal = guard.body_with_sender(request)
        if body is None:
            return refusal
        return await self.answer(request, body, identity.rest_conversation(body["sender"]), on_new_message)
