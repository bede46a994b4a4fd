"""Keeps what people write out of the server's logs (installed by our channels at start-up).

Rasa 3.6 logs no message text at INFO, with two exceptions found by tests/test_log_privacy.py:
a message that starts with "/" but is not a well-formed intent payload makes Rasa print a Python
warning quoting the whole message ("Failed to parse arguments in line '...'"), and a bare "/" logs a
structured WARNING with ``user_text``. Our own code never logs text. As a safety net for everything
else (exceptions whose text quotes data, e.g. SQL parameters), every log record is scrubbed when it
is created: phone numbers, e-mail addresses and document numbers are replaced, and the values of
Rasa's structured-log keys that carry conversation content are hidden. Names cannot be recognised
reliably, which is why no code path may log a message's text in the first place.

Scrubbing runs on the event loop for every record, so it is linear in the record's length: a
message is cut to MAX_MESSAGE characters (a traceback to MAX_TRACEBACK) before the patterns run,
and every pattern's repetitions are bounded, so no starting position scans the rest of the text.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from typing import Any, Callable, Dict, Optional

REDACTED = "[redacted]"
#: A phone number: "+" or a national "0", then 9 or more digits with spaces, dashes, dots, slashes or
#: brackets between them. (Dates, times, ports, counts and ids start otherwise or are shorter.)
#: At most 15 digits (E.164), so a long run of digits is not scanned to its end from every digit.
PHONE = re.compile(r"(?<![\w+])(?:\+\d|0)(?:[ \-()./]{0,2}\d){8,14}(?![\w:])")
#: Starts only where a run of address characters starts (the look-behind), and every part is
#: bounded (64 characters before the @, 63 per domain label: RFC 5321's limits).
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
#: A passport, ID card or residence card number: 1-3 letters (Latin or Cyrillic) then 6-9 digits.
DOCUMENT = re.compile(r"(?<!\w)[A-ZА-ЯІЇЄҐ]{1,3}[ -]?\d{6,9}(?!\w)", re.IGNORECASE)
#: Keys of Rasa's structured log events whose values are conversation content (Rasa's own anonymiser
#: list, rasa/utils/log_utils.py, which only Rasa Pro fills in).
CONTENT_KEYS = frozenset(
    {
        "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
        "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response",
        "slot_candidates", "rasa_event", "rasa_events", "tracker_states", "current_states", "old_states",
        "successes", "current_entity", "next_entity", "states", "entity", "token_text", "user_message",
        "json_message", "metadata",
    }
)  # fmt: skip
#: Rasa's warning about a malformed "/intent{...}" message quotes the message.
QUOTING_WARNINGS = r"Failed to parse arguments in line"
#: Characters of a log message, and of an exception's traceback, kept (the rest is cut).
MAX_MESSAGE = 4_000
MAX_TRACEBACK = 20_000
#: Scrubbed beyond the cut, so that a phone number or address across it is hidden whole.
_CUT_MARGIN = 200

_installed: Optional[Callable[..., logging.LogRecord]] = None


def scrub(text: str, limit: int = MAX_MESSAGE) -> str:
    """Returns ``text`` cut to ``limit`` characters, with phone numbers, e-mail addresses and document numbers replaced.

    Args:
        text: the text.
        limit: the most characters kept; a cut text ends with how many characters were cut.
    """
    if len(text) > limit:
        # Scrubbed a little beyond the cut, then cut: nothing personal is left half-visible at the end.
        cut = len(text) - limit
        return f"{_scrub(text[: limit + _CUT_MARGIN])[:limit]}… [{cut} characters cut]"
    return _scrub(text)


def _scrub(text: str) -> str:
    text = EMAIL.sub(REDACTED, text)
    text = DOCUMENT.sub(REDACTED, text)
    return PHONE.sub(REDACTED, text)


def _hide_content(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if k in CONTENT_KEYS else _hide_content(v)) for k, v in value.items()}
    return value


def scrub_message(message: str) -> str:
    """Scrubs one formatted log message; a structured (JSON) one also loses its content values."""
    stripped = message.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            event: Dict[str, Any] = json.loads(stripped)
        except ValueError:
            pass
        else:
            if isinstance(event, dict):
                message = json.dumps(_hide_content(event), ensure_ascii=False)
    return scrub(message)


def install() -> None:
    """Scrubs every log record from now on and silences Rasa's warnings that quote messages.

    Idempotent. A record factory (not a handler filter) covers every logger and every handler,
    including handlers added later (``--log-file``) and loggers that do not propagate (Sanic's).
    """
    global _installed  # noqa: PLW0603 - one process-wide installation
    warnings.filterwarnings("ignore", message=QUOTING_WARNINGS, category=UserWarning)
    if _installed is not None:
        return
    previous = logging.getLogRecordFactory()

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            record.msg = scrub_message(record.getMessage())
            record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                # Formatted now and cached where handlers' formatters look for it.
                record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), MAX_TRACEBACK)
        except Exception:  # noqa: BLE001 - logging must never fail because of scrubbing
            record.msg, record.args = "[log message withheld: it could not be scrubbed]", None
        return record

    logging.setLogRecordFactory(scrubbing_factory)
    _installed = scrubbing_factory
