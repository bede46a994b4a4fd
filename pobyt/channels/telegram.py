"""Telegram channel: our own connector (Rasa 3.6's calls Telegram per update and at start-up).

Configured in ``credentials.yml`` under ``pobyt.channels.telegram.TelegramInput``; every value
falls back to an environment variable (see ``.env.example``):

| key | environment variable | default |
| --- | --- | --- |
| ``token`` | ``TELEGRAM_BOT_TOKEN`` | none: the channel is disabled (its webhook answers 503) |
| ``webhook_secret`` | ``TELEGRAM_WEBHOOK_SECRET`` | none: the channel is disabled |
| ``webhook_url`` | ``TELEGRAM_WEBHOOK_URL`` | none (only ``make telegram-webhook`` needs it) |
| ``api_url`` | ``TELEGRAM_API_URL`` | ``https://api.telegram.org`` |

Telegram POSTs updates to ``/webhooks/telegram/webhook`` with the secret in the header
``X-Telegram-Bot-Api-Secret-Token``; nothing is sent to Telegram at start-up or to authenticate.
The webhook always answers 200 once the secret is right, so Telegram never retries an update
because of our own failure; an update it retries anyway (same ``update_id``) is answered once.

A chat's conversation is ``tg:<chat id>`` (:mod:`pobyt.channels.identity`). The bot answers in
private chats only: in a group every member would share one conversation (and could /forget it),
so a group is told once, politely, to write to the bot privately, and nothing of it is stored.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from pobyt import logging_filter, speedups
from pobyt.answers import ASPECTS, aspect_payload
from pobyt.channels import guard
from pobyt.channels.identity import telegram_chat, telegram_conversation
from pobyt.channels.telegram_api import DEFAULT_API_URL, BotApi
from pobyt.channels.telegram_render import PayloadRegistry, inline_keyboard, render_chunks
from pobyt.http_limits import receive_body_within_limit
from pobyt.messages import language_or_default, say
from pobyt.privacy import forget_conversation
from pobyt.ratelimit import Decision, RateLimiter, RateLimitSettings

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: What Telegram may send: 1-256 characters A-Z, a-z, 0-9, "_" and "-".
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
#: The update types the bot asks Telegram for (``setWebhook`` and ``getUpdates``).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
#: Bot commands and the message each one sends to Rasa; /forget is handled by the channel.
COMMANDS = {"start": "/greet", "help": "/help", "language": "/choose_language", "human": "/ask_human"}
FORGET_COMMAND = "forget"
#: Message parts the bot cannot read; each gets a polite "please type your question".
NOT_TEXT = (
    "photo", "sticker", "voice", "audio", "video", "video_note", "animation", "document",
    "location", "venue", "contact", "poll", "dice",
)  # fmt: skip
#: How many recent update_ids are remembered to ignore Telegram's retries (in memory, per process).
RECENT_UPDATES = 10_000
SPEAKS = ("en", "uk", "ru")


@dataclass(frozen=True)
class TelegramConfig:
    """The channel's configuration (the token and secret never leave the process)."""

    token: str = ""
    webhook_secret: str = ""
    webhook_url: str = ""
    api_url: str = DEFAULT_API_URL

    @classmethod
    def load(cls, credentials: Optional[Mapping[str, Any]], environ: Mapping[str, str]) -> TelegramConfig:
        """Reads each value from ``credentials`` (credentials.yml), else from the environment."""
        credentials = credentials or {}

        def value(key: str, variable: str, default: str = "") -> str:
            configured = credentials.get(key)
            return str(configured or environ.get(variable) or default).strip()

        return cls(
            token=value("token", "TELEGRAM_BOT_TOKEN"),
            webhook_secret=value("webhook_secret", "TELEGRAM_WEBHOOK_SECRET"),
            webhook_url=value("webhook_url", "TELEGRAM_WEBHOOK_URL"),
            api_url=value("api_url", "TELEGRAM_API_URL", DEFAULT_API_URL),
        )

    def problem(self) -> Optional[str]:
        """Returns why the channel cannot work, or None when it can."""
        if not self.token:
            return "TELEGRAM_BOT_TOKEN is not set"
        if not SECRET_PATTERN.match(self.webhook_secret):
            return "TELEGRAM_WEBHOOK_SECRET is not set (1-256 characters A-Z, a-z, 0-9, _ and -)"
        return None


def language_hint(language_code: Any) -> Optional[str]:
    """Returns "en", "uk" or "ru" from Telegram's ``language_code`` ("uk-UA" -> "uk"), else None."""
    if not isinstance(language_code, str):
        return None
    base = language_code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in SPEAKS else None


def command_message(text: str) -> Optional[str]:
    """Returns what a bot command sends to Rasa, FORGET_COMMAND for /forget, None for other text.

    "/start", "/start@pobyt_bot" and "/start campaign" are all /start. An unknown command shows
    the help, so nobody can send Rasa an intent payload by typing it.
    """
    if not text.startswith("/"):
        return None
    command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if text[1:].strip() else ""
    if command == FORGET_COMMAND:
        return FORGET_COMMAND
    return COMMANDS.get(command, COMMANDS["help"])


def knowledge_base_payloads() -> List[str]:
    """Returns every payload an answer's button can carry (to resolve old hashed buttons)."""
    from pobyt.kb.loader import get_knowledge_base

    return [aspect_payload(aspect, procedure) for procedure in get_knowledge_base().procedures for aspect in ASPECTS]


class RecentUpdates:
    """Remembers the last ``capacity`` update_ids (in memory: a restart forgets them)."""

    def __init__(self, capacity: int = RECENT_UPDATES) -> None:
        self._ids: OrderedDict[int, None] = OrderedDict()
        self._capacity = capacity

    def first_time(self, update_id: int) -> bool:
        """Returns True and remembers ``update_id`` when it was not seen recently."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


def chat_id_value(recipient_id: str) -> Any:
    """Returns the chat id of a conversation (``tg:<chat id>``) as Telegram gives it (an integer).

    An id without the prefix (a conversation stored before ids named their channel) is read as
    the chat id itself; anything else is passed on as text (Telegram refuses it).
    """
    chat = telegram_chat(recipient_id)
    if chat is not None:
        return chat
    return int(recipient_id) if recipient_id.lstrip("-").isdigit() else recipient_id


def chat_id_of(part: Dict[str, Any]) -> Optional[int]:
    """Returns the chat to answer for a message or a button press (whose message may be gone), or None."""
    for holder in (part, part.get("message")):
        chat = holder.get("chat") if isinstance(holder, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return chat["id"]
    sender = part.get("from")
    return sender["id"] if isinstance(sender, dict) and isinstance(sender.get("id"), int) else None


def private_chat(part: Dict[str, Any]) -> bool:
    """Returns whether a message or a button press comes from a private chat (one person and the bot).

    Telegram names the chat's ``type``; without it a positive chat id is a person's (groups are negative).
    A button press whose message is gone names only the person who pressed it: their private chat.
    """
    for holder in (part, part.get("message")):
        chat = holder.get("chat") if isinstance(holder, dict) else None
        if isinstance(chat, dict):
            kind = chat.get("type")
            return kind == "private" if kind is not None else isinstance(chat.get("id"), int) and chat["id"] > 0
    return True


def titled(message: Dict[str, Any]) -> bool:
    """Returns whether a bot message's first line is a title: it answers about a procedure or an office."""
    custom = message.get("custom")
    data = custom.get("pobyt") if isinstance(custom, dict) else None
    return isinstance(data, dict) and bool(data.get("procedure") or data.get("office"))


class TelegramOutput(OutputChannel):
    """Sends a bot message as HTML, split within Telegram's limit, buttons as an inline keyboard."""

    def __init__(self, api: Optional[BotApi], registry: PayloadRegistry) -> None:
        self._api = api
        self._registry = registry
        #: Messages sent so far (the channel answers "technical problem" when Rasa sent none).
        self.sent = 0

    @classmethod
    def name(cls) -> str:
        """Returns the output channel's name."""
        return CHANNEL

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Sends one message: its text (escaped, split) with its buttons under the last part.

        The ``custom`` part (``{"pobyt": ...}``) is data for other channels and is not sent.
        """
        text = str(message.get("text") or "")
        buttons = [b for b in message.get("buttons") or [] if isinstance(b, dict)]
        chunks = render_chunks(text, titled(message)) if text.strip() else (["…"] if buttons else [])
        self.sent += 1 if chunks else 0
        for index, chunk in enumerate(chunks):
            params: Dict[str, Any] = {
                "chat_id": chat_id_value(recipient_id),
                "text": chunk,
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            }
            if buttons and index == len(chunks) - 1:
                params["reply_markup"] = inline_keyboard(buttons, self._registry)
            await self._send("sendMessage", params)

    async def _send(self, method: str, params: Dict[str, Any]) -> None:
        if self._api is None:
            logger.warning("Telegram is not configured: a reply was dropped")
            return
        await self._api.call(method, params)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends plain text (escaped)."""
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Sends text with an inline keyboard."""
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """Sends nothing: custom data is for machine channels, not for people."""


class TelegramInput(InputChannel):
    """The Telegram webhook (``pobyt.channels.telegram.TelegramInput`` in credentials.yml)."""

    def __init__(self, config: TelegramConfig, known_payloads: Callable[[], Iterable[str]] = knowledge_base_payloads):
        self.config = config
        self.problem = config.problem()
        self.api = BotApi(config.token, config.api_url) if config.token else None
        self.registry = PayloadRegistry(known_payloads)
        self.recent = RecentUpdates()
        # Groups already told to write privately (by chat id; bounded like the update ids).
        self.groups_told = RecentUpdates()
        # Read at start-up: a wrong setting stops the server at once instead of at the first message.
        self.limiter = RateLimiter(RateLimitSettings.from_environment())
        self.timeout_s = guard.reply_timeout()
        logging_filter.install()
        speedups.install()
        if self.problem:
            logger.info("Telegram channel disabled: %s", self.problem)

    @classmethod
    def name(cls) -> str:
        """Returns the channel's name (its URL prefix)."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Builds the channel from credentials.yml and the environment (no network call)."""
        return cls(TelegramConfig.load(credentials, os.environ))

    def get_output_channel(self) -> OutputChannel:
        """Returns the output channel (used by Rasa for messages it starts itself)."""
        return TelegramOutput(self.api, self.registry)

    def authentic(self, header: Optional[str]) -> bool:
        """Returns True when the secret header matches (constant-time comparison)."""
        if not header or not self.config.webhook_secret:
            return False
        return hmac.compare_digest(header.encode("utf-8"), self.config.webhook_secret.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Returns the routes: ``GET /`` (health) and ``POST /webhook`` (Telegram's updates)."""
        blueprint = Blueprint("pobyt_telegram", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "disabled" if self.problem else "ok"})

        # Streamed: the secret is checked before the body is read, then the body within the size limit.
        @blueprint.route("/webhook", methods=["POST"], stream=True)
        async def webhook(request: Request) -> HTTPResponse:
            if self.problem:
                return response.json({"error": "the Telegram channel is not configured"}, status=503)
            if not self.authentic(request.headers.get(SECRET_HEADER)):
                return response.json({"error": "forbidden"}, status=403)
            await receive_body_within_limit(request)
            try:
                update = request.json
            except Exception:  # noqa: BLE001 - any parse failure means a malformed update
                update = None
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                return response.json({"error": "expected a Telegram update"}, status=400)
            if not self.recent.first_time(update["update_id"]):
                return response.json({"status": "duplicate"})
            try:
                await self.handle_update(update, on_new_message, request.app.ctx.agent)
            except Exception:  # noqa: BLE001 - never re-raise into Telegram: it would retry forever
                logger.exception("Telegram update %s failed", update["update_id"])
            return response.json({"status": "ok"})

        @blueprint.listener("after_server_stop")
        async def close(*_: Any) -> None:
            if self.api is not None:
                await self.api.close()

        return blueprint

    async def handle_update(
        self, update: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]], agent: Any
    ) -> None:
        """Answers one update: a message, an edited message or a button press; ignores others."""
        output = TelegramOutput(self.api, self.registry)
        part = next(
            (update[k] for k in ("callback_query", "edited_message", "message") if isinstance(update.get(k), dict)),
            None,
        )
        if part is not None and chat_id_of(part) is None:
            logger.warning("Ignored a Telegram update without a chat id (update %s)", update.get("update_id"))
            return
        if part is not None and not private_chat(part):
            await self._private_only(part, output)
            return
        if isinstance(update.get("callback_query"), dict):
            await self._button(update["callback_query"], on_new_message, output, agent)
        elif isinstance(update.get("edited_message"), dict):
            # An edit is not a new question: answering it would repeat or contradict earlier replies.
            edited = update["edited_message"]
            await self._say(output, agent, edited, "telegram.edited")
        elif isinstance(update.get("message"), dict):
            await self._message(update["message"], on_new_message, output, agent)
        else:
            logger.debug("Ignored a Telegram update of kinds %s", sorted(update))

    async def _message(
        self, message: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]],
        output: TelegramOutput, agent: Any,
    ) -> None:  # fmt: skip
        text = message.get("text")
        if not isinstance(text, str):
            if any(key in message for key in NOT_TEXT):
                await self._say(output, agent, message, "telegram.not_text")
            return  # service messages (a member joined, a title changed, ...) need no answer
        command = command_message(text)
        if command == FORGET_COMMAND:
            await self._forget(output, agent, message)
            return
        await self._deliver(
            on_new_message, self._user_message(command or guard.clean_text(text), output, message), agent, message
        )

    async def _button(
        self, query: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]],
        output: TelegramOutput, agent: Any,
    ) -> None:  # fmt: skip
        # Answered first, whatever happens next: it stops the button's spinner at once.
        if self.api is not None and query.get("id"):
            await self.api.call("answerCallbackQuery", {"callback_query_id": query["id"]})
        message = query.get("message") if isinstance(query.get("message"), dict) else {}
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else query.get("from") or {}
        origin = {"chat": chat, "from": query.get("from") or {}}
        payload = self.registry.payload(str(query.get("data") or ""))
        if payload is None:
            await self._say(output, agent, origin, "telegram.button_expired")
            return
        await self._deliver(on_new_message, self._user_message(payload, output, origin), agent, origin)

    async def _deliver(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], user_message: UserMessage, agent: Any,
        message: Dict[str, Any],
    ) -> None:  # fmt: skip
        """Passes a message to Rasa within the rate limit and the time bound; never leaves the person unanswered."""
        output = user_message.output_channel
        assert isinstance(output, TelegramOutput)
        decision = self.limiter.check(user_message.sender_id)
        if decision is Decision.REFUSE_QUIETLY:
            return
        if decision is Decision.REFUSE_AND_TELL:
            await self._say(output, agent, message, "ratelimit.slow_down")
            return
        problem = guard.text_problem(user_message.text or "")
        if problem is not None:
            language = await self._language(agent, user_message.sender_id, message)
            await output.send_text_message(user_message.sender_id, say(problem, language, max=guard.MAX_MESSAGE_CHARS))
            return
        finished = await guard.run_bounded(on_new_message(user_message), self.timeout_s)
        if guard.needs_fault_answer(user_message.text or "", output.sent, finished):
            language = await self._language(agent, user_message.sender_id, message)
            await output.send_text_message(user_message.sender_id, guard.technical_problem(language))

    def _user_message(self, text: str, output: TelegramOutput, message: Dict[str, Any]) -> UserMessage:
        hint = language_hint((message.get("from") or {}).get("language_code"))
        return UserMessage(
            text,
            output,
            sender_id=telegram_conversation(message["chat"]["id"]),
            input_channel=CHANNEL,
            metadata={"language": hint} if hint else None,
        )

    async def _language(self, agent: Any, sender_id: str, message: Dict[str, Any]) -> str:
        """The conversation's language when there is one, else the person's app language."""
        try:
            tracker = await agent.tracker_store.retrieve(sender_id)
            slot = tracker.get_slot("language") if tracker is not None else None
        except Exception:  # noqa: BLE001 - the app language is a good enough answer
            logger.warning("Could not read the conversation's language", exc_info=True)
            slot = None
        return language_or_default(slot or language_hint((message.get("from") or {}).get("language_code")))

    async def _say(self, output: TelegramOutput, agent: Any, message: Dict[str, Any], key: str) -> None:
        sender_id = telegram_conversation(message["chat"]["id"])
        await output.send_text_message(sender_id, say(key, await self._language(agent, sender_id, message)))

    async def _forget(self, output: TelegramOutput, agent: Any, message: Dict[str, Any]) -> None:
        sender_id = telegram_conversation(message["chat"]["id"])
        language = await self._language(agent, sender_id, message)  # read before it is deleted
        deleted = await forget_conversation(agent, sender_id)
        key = "privacy.forgotten" if deleted else "privacy.not_deleted"
        await output.send_text_message(sender_id, say(key, language))

    async def _private_only(self, part: Dict[str, Any], output: TelegramOutput) -> None:
        """Tells a group, once, to write to the bot privately; nothing of the group reaches Rasa or the store."""
        if self.api is not None and part.get("data") is not None and part.get("id"):
            await self.api.call("answerCallbackQuery", {"callback_query_id": part["id"]})  # stops the spinner
        chat_id = chat_id_of(part)
        if chat_id is None or not self.groups_told.first_time(chat_id):
            return
        language = language_or_default(language_hint((part.get("from") or {}).get("language_code")))
        await output.send_text_message(telegram_conversation(chat_id), say("telegram.private_only", language))
