"""What every channel does before and after Rasa: clean and check the text, bound the wait, never stay silent.

Limits (README "Limits"):

- a message is cleaned first: control characters (except new lines and tabs) and broken UTF-16
  halves are removed, because they carry no meaning and some stores refuse them (PostgreSQL: NUL);
- a message with no letter or digit (empty, spaces, emoji or punctuation only) is not sent to Rasa:
  the person is asked to type the question in words (Rasa would guess an intent for it);
- a message over MAX_MESSAGE_CHARS characters is refused with a polite request to shorten it, not
  cut: a cut question may ask something else, and an answer to it would mislead;
- Rasa gets POBYT_REPLY_TIMEOUT_S seconds (default 20); when it says nothing in that time, or says
  nothing at all because the action server failed, the person gets "technical problem" with the
  helpline's contacts in their language.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from typing import Any, Awaitable, Dict, Mapping, Optional, Tuple

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from pobyt.messages import language_or_default, say
from pobyt.settings import positive_number

logger = logging.getLogger(__name__)

#: Longest message accepted (Telegram's own limit is 4096; a question is rarely over 500).
MAX_MESSAGE_CHARS = 4000
#: Longest sender id accepted (Rasa's SQL tracker store keeps sender ids in 255 characters).
MAX_SENDER_CHARS = 128
TIMEOUT_VARIABLE = "POBYT_REPLY_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 20.0
#: Seconds a fault or refusal answer waits for the conversation's language before using the hint or text.
LANGUAGE_LOOKUP_TIMEOUT_S = 2.0
#: Payloads after which the bot rightly says nothing (they reset the conversation).
SILENT_PAYLOADS = ("/restart", "/session_start")
SPEAKS = ("en", "uk", "ru")


def reply_timeout(environ: Optional[Mapping[str, str]] = None) -> float:
    """Returns the seconds Rasa may take to answer (POBYT_REPLY_TIMEOUT_S, default 20).

    Raises:
        ValueError: when the value is not a positive number (a configuration error).
    """
    return positive_number(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_S, environ)


def clean_text(text: str) -> str:
    """Returns ``text`` without control characters (new lines and tabs stay) and lone surrogates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()


def has_words(text: str) -> bool:
    """Returns whether ``text`` has a letter or a digit (emoji and punctuation are not words)."""
    return any(ch.isalnum() for ch in text)


def text_problem(text: str) -> Optional[str]:
    """Returns the catalogue key of the polite answer to a (cleaned) message Rasa should not get, or None."""
    if len(text) > MAX_MESSAGE_CHARS:
        return "input.too_long"
    if not has_words(text):
        return "input.no_words"
    return None


def valid_sender(sender: Any) -> bool:
    """Returns whether ``sender`` is a usable sender id: a short printable string."""
    return isinstance(sender, str) and bool(sender.strip()) and len(sender) <= MAX_SENDER_CHARS and sender.isprintable()


def body_with_sender(request: Request) -> Tuple[Optional[Dict[str, Any]], Optional[HTTPResponse]]:
    """Reads a JSON request body that must be an object with a valid ``sender``.

    Returns:
        ``(body, None)`` when it is one; ``(None, response)`` with a 400 JSON error to send otherwise.
    """
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - any parse failure is the client's error
        body = None
    if not isinstance(body, dict):
        return None, response.json({"error": "expected a JSON object"}, status=400)
    if not valid_sender(body.get("sender")):
        error = f"'sender' must be a printable string of at most {MAX_SENDER_CHARS} characters"
        return None, response.json({"error": error}, status=400)
    return body, None


def language_hint(value: Any) -> Optional[str]:
    """Returns ``value`` when it is a language the assistant speaks, else None."""
    return value if isinstance(value, str) and value in SPEAKS else None


async def conversation_language(agent: Any, sender_id: str, hint: Optional[str] = None, text: str = "") -> str:
    """The language to answer in without Rasa: the conversation's, else the hint, else the text's, else English."""
    slot = None
    try:
        # Bounded: during a database outage the tracker store retries for up to POBYT_DB_RETRY_S, and
        # this answer exists precisely to reach the person quickly.
        tracker = await asyncio.wait_for(agent.tracker_store.retrieve(sender_id), LANGUAGE_LOOKUP_TIMEOUT_S)
        slot = tracker.get_slot("language") if tracker is not None else None
    except Exception:  # noqa: BLE001 - the hint or the text is a good enough answer
        logger.warning("Could not read the conversation's language", exc_info=True)
    if language_hint(slot):
        return slot
    if hint:
        return language_or_default(hint)
    if has_words(text) and len(text) <= MAX_MESSAGE_CHARS:
        from pobyt.language import detect_language  # lingua loads its models on first use

        return language_or_default(detect_language(text))
    return language_or_default(None)


def technical_problem(language: str) -> str:
    """Returns the "technical problem" answer with the helpline's contacts, in ``language``."""
    intro = say("fault.technical", language)
    try:
        from pobyt.conversation import human_help  # the knowledge base, loaded on first use

        return human_help(language, intro=intro).text
    except Exception:  # noqa: BLE001 - the sentence alone still tells the person what happened
        logger.exception("Could not add the helpline's contacts to a fault answer")
        return intro


async def run_bounded(handling: Awaitable[Any], timeout_s: float) -> bool:
    """Awaits Rasa's handling of a message for at most ``timeout_s``; returns whether it finished.

    A slow handling is not cancelled: it goes on in the background (its answer may still reach a
    push channel such as Telegram, and the conversation stays consistent); only the wait ends.
    An exception is logged (without the message) and counts as finished with no answer.
    """
    task = asyncio.ensure_future(handling)
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout_s)
    except asyncio.TimeoutError:
        logger.error("Rasa did not answer within %s s: sent the technical-problem answer", timeout_s)
        task.add_done_callback(_log_late_failure)
        return False
    except Exception:  # noqa: BLE001 - the person gets the technical-problem answer instead of a 500
        logger.exception("Handling a message failed")
    return True


def _log_late_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("Handling a late message failed", exc_info=task.exception())


def needs_fault_answer(text: str, replies: int, finished: bool) -> bool:
    """Returns whether the person must get the technical-problem answer: Rasa was late or said nothing."""
    if not finished:
        return True
    return replies == 0 and not text.strip().lower().startswith(SILENT_PAYLOADS)
