"""Who a conversation belongs to: channel-scoped conversation ids, widget sender tokens, the API token.

Every conversation id names its channel, and each channel builds ids only with its own prefix:

| channel | conversation id | who can address it |
| --- | --- | --- |
| Telegram | ``tg:<chat id>`` | Telegram itself (the webhook's secret header) |
| website widget | ``web:<random>`` | the holder of the signed sender token the server issued |
| REST (integrations) | ``rest:<their id>`` | the holder of the API token |

So a Telegram user's public id gets nobody into their conversation: the widget accepts only
tokens this server signed, and whatever id an integration sends stays under ``rest:``.

A widget sender token is ``<random>.<signature>``: 16 random bytes and an HMAC-SHA256 of them
with the server's secret (POBYT_WIDGET_SECRET), both URL-safe base64. The token is the widget's
only credential; the conversation id it stands for is ``web:<random>``. Without the variable a
secret is made at start-up: tokens then last until the server restarts (fine for ``make run``;
several servers behind one address need one shared secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import sys
from typing import Any, Mapping, Optional, Sequence

logger = logging.getLogger(__name__)

TELEGRAM_PREFIX = "tg:"
WEB_PREFIX = "web:"
REST_PREFIX = "rest:"
SECRET_VARIABLE = "POBYT_WIDGET_SECRET"  # noqa: S105 - a variable's name
API_TOKEN_VARIABLE = "POBYT_API_TOKEN"  # noqa: S105 - a variable's name
#: A configured secret shorter than this is a mistake (`openssl rand -hex 32` gives 64 characters).
MIN_SECRET_CHARS = 32
#: Random bytes of a widget conversation (128 bits: not guessable, not enumerable).
RANDOM_BYTES = 16
#: Domain separation: a signature made here means nothing anywhere else the secret might be used.
_SIGNED_AS = b"pobyt widget sender v1:"
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$")


def telegram_conversation(chat_id: int) -> str:
    """Returns the conversation id of a Telegram chat: ``tg:<chat id>``."""
    return f"{TELEGRAM_PREFIX}{int(chat_id)}"


def telegram_chat(conversation_id: str) -> Optional[int]:
    """Returns the Telegram chat id of a ``tg:`` conversation, or None for any other id."""
    if not conversation_id.startswith(TELEGRAM_PREFIX):
        return None
    number = conversation_id[len(TELEGRAM_PREFIX) :]
    return int(number) if re.fullmatch(r"-?[0-9]{1,20}", number) else None


def rest_conversation(sender: str) -> str:
    """Returns the conversation id of an integration's ``sender``: always ``rest:<sender>``."""
    return f"{REST_PREFIX}{sender}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class SenderTokens:
    """Issues widget sender tokens and checks them (HMAC-SHA256 with the server's secret)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> SenderTokens:
        """Uses POBYT_WIDGET_SECRET, or a random secret for this process when it is unset.

        Raises:
            ValueError: when the variable is set but shorter than MIN_SECRET_CHARS (a configuration error).
        """
        configured = (os.environ if environ is None else environ).get(SECRET_VARIABLE, "").strip()
        if not configured:
            logger.info("%s is not set: widget conversations last until the server restarts", SECRET_VARIABLE)
            return cls(secrets.token_bytes(32))
        if len(configured) < MIN_SECRET_CHARS:
            raise ValueError(f"{SECRET_VARIABLE} must have at least {MIN_SECRET_CHARS} characters")
        return cls(configured.encode("utf-8"))

    def _signature(self, random_part: str) -> str:
        return _b64(hmac.new(self._secret, _SIGNED_AS + random_part.encode("ascii"), hashlib.sha256).digest())

    def issue(self) -> str:
        """Returns a new token, standing for a new conversation."""
        random_part = _b64(secrets.token_bytes(RANDOM_BYTES))
        return f"{random_part}.{self._signature(random_part)}"

    def conversation(self, token: Any) -> Optional[str]:
        """Returns the conversation id (``web:<random>``) of a token this server signed, else None."""
        match = _TOKEN.match(token) if isinstance(token, str) else None
        if match is None:
            return None
        random_part, signature = match.groups()
        if not hmac.compare_digest(signature, self._signature(random_part)):
            return None
        return f"{WEB_PREFIX}{random_part}"


def conversation_of_token(token: str) -> str:
    """Returns the conversation id a token names, WITHOUT checking it (for tests and operators' tools)."""
    return f"{WEB_PREFIX}{token.split('.', 1)[0]}"


def api_token(environ: Optional[Mapping[str, str]] = None, argv: Optional[Sequence[str]] = None) -> Optional[str]:
    """Returns the token of Rasa's HTTP API: ``rasa run --auth-token``, else POBYT_API_TOKEN, else None.

    The command line comes first because it is the token Rasa itself checks (``make run`` passes a
    random one when POBYT_API_TOKEN is unset).
    """
    args = list(sys.argv if argv is None else argv)
    for index, arg in enumerate(args):
        for option in ("--auth-token", "-t"):
            if arg == option and index + 1 < len(args):
                return args[index + 1] or None
            if arg.startswith(option + "=") and len(arg) > len(option) + 1:
                return arg[len(option) + 1 :]
    return (os.environ if environ is None else environ).get(API_TOKEN_VARIABLE, "").strip() or None


def presented_token(authorization: Optional[str], query_token: Optional[str]) -> Optional[str]:
    """Returns the token a request presents: ``Authorization: Bearer <token>``, else ``?token=``."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return query_token or None


def token_matches(presented: Optional[str], expected: Optional[str]) -> bool:
    """Returns whether ``presented`` is ``expected`` (constant time); never True without an expected token."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))
