r"""Renders an answer for Telegram: escaped HTML chunks within the message limit, inline keyboards.

Answers are plain text ("\\n" lines, "• " bullets, blank-line paragraphs, ``*Slovak term*``
emphasis). Text is split first and escaped afterwards, so a split never falls inside a tag or an
HTML entity; the emphasis becomes ``<i>`` only after escaping, so no other text becomes markup.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, List, Optional

#: Telegram's limit on a message's text, counted in UTF-16 code units (what its clients count).
MAX_MESSAGE_LENGTH = 4096
#: Telegram's limit on a button's callback_data, in bytes.
MAX_CALLBACK_BYTES = 64
#: Prefix of callback_data that stands for a longer payload (payloads start with "/").
HASH_PREFIX = "#"
#: The knowledge base's emphasis: ``*term*`` on one line, no space just inside the asterisks.
EMPHASIS = re.compile(r"\*([^\s*](?:[^*\n]*[^\s*])?)\*")


def telegram_length(text: str) -> int:
    """Returns the length of ``text`` as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def escaped(text: str) -> str:
    """Returns plain ``text`` as Telegram HTML: escaped, then ``*term*`` in italics (``<i>term</i>``)."""
    return EMPHASIS.sub(r"<i>\1</i>", html.escape(text, quote=False))


def to_html(text: str, bold_first_line: bool = False) -> str:
    """Returns ``text`` escaped for Telegram's HTML parse mode, optionally with its first line bold."""
    if not bold_first_line or not text.strip():
        return escaped(text)
    title, newline, rest = text.partition("\n")
    return f"<b>{escaped(title)}</b>{newline}{escaped(rest)}"


def _hard_split(line: str, fits: Callable[[str], bool]) -> List[str]:
    """Splits one over-long line at spaces, or anywhere when a single word is too long."""
    pieces: List[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = ""
        for char in word:
            if not fits(current + char):
                pieces.append(current)
                current = ""
            current += char
    if current:
        pieces.append(current)
    return pieces


def _pack(parts: Iterable[str], separator: str, fits: Callable[[str], bool]) -> List[str]:
    """Greedily joins ``parts`` with ``separator`` into as few chunks as fit."""
    chunks: List[str] = []
    current: Optional[str] = None
    for part in parts:
        candidate = part if current is None else f"{current}{separator}{part}"
        if fits(candidate):
            current = candidate
            continue
        if current is not None:
            chunks.append(current)
        current = part
    if current is not None:
        chunks.append(current)
    return chunks


def split_text(text: str, fits: Callable[[str], bool]) -> List[str]:
    """Splits plain ``text`` into chunks that ``fits`` accepts.

    Splits at paragraph (blank-line) boundaries first, then at line boundaries inside a paragraph
    that is too long, then at spaces inside a line that is too long.
    """
    if fits(text):
        return [text]
    paragraphs: List[str] = []
    for paragraph in text.split("\n\n"):
        if fits(paragraph):
            paragraphs.append(paragraph)
            continue
        lines: List[str] = []
        for line in paragraph.split("\n"):
            lines.extend([line] if fits(line) else _hard_split(line, fits))
        paragraphs.extend(_pack(lines, "\n", fits))
    return [chunk for chunk in _pack(paragraphs, "\n\n", fits) if chunk.strip()]


def render_chunks(text: str, titled: bool = False, limit: int = MAX_MESSAGE_LENGTH) -> List[str]:
    """Returns the HTML messages for one answer: escaped, title in bold, each within ``limit``.

    Args:
        text: the answer's plain text.
        titled: whether the first line is a title (an answer about a procedure or an office).
        limit: the longest message, counted as Telegram counts (markup included, to be safe).

    Returns:
        One or more HTML strings; the title, if any, is bold.
    """
    bold = titled and "\n" in text.strip()
    markup = len("<b></b>") if bold else 0

    def fits(chunk: str) -> bool:
        return telegram_length(escaped(chunk)) <= limit - markup

    return [to_html(chunk, bold and index == 0) for index, chunk in enumerate(split_text(text, fits))]


class PayloadRegistry:
    """Maps button payloads to callback_data of at most 64 bytes, and back.

    Short payloads are sent as they are. A longer one is sent as "#" and a hash of it; the hash
    is remembered in a bounded in-memory map, and, when that map forgot it (after a restart, or
    when it was full), looked up among the payloads ``known_payloads`` returns (the knowledge
    base's payloads), so most old buttons keep working.
    """

    def __init__(self, known_payloads: Callable[[], Iterable[str]] = tuple, capacity: int = 10_000) -> None:
        self._recent: OrderedDict[str, str] = OrderedDict()
        self._known_payloads = known_payloads
        self._known: Optional[Dict[str, str]] = None
        self._capacity = capacity

    @staticmethod
    def digest(payload: str) -> str:
        """Returns the callback_data standing for a long payload: "#" and 16 URL-safe characters."""
        raw = hashlib.sha256(payload.encode("utf-8")).digest()[:12]
        return HASH_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")

    def callback_data(self, payload: str) -> str:
        """Returns the callback_data for ``payload`` (remembering it when it had to be hashed)."""
        if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(HASH_PREFIX):
            return payload
        data = self.digest(payload)
        self._recent[data] = payload
        self._recent.move_to_end(data)
        while len(self._recent) > self._capacity:
            self._recent.popitem(last=False)
        return data

    def payload(self, data: str) -> Optional[str]:
        """Returns the payload behind ``data``, or None when it is unknown."""
        if not data.startswith(HASH_PREFIX):
            return data or None
        if data in self._recent:
            return self._recent[data]
        if self._known is None:
            self._known = {self.digest(p): p for p in self._known_payloads()}
        return self._known.get(data)


def inline_keyboard(buttons: Iterable[Dict[str, Any]], registry: PayloadRegistry) -> Dict[str, Any]:
    """Returns Telegram's ``reply_markup``: one button per row (titles are often long).

    Button titles are plain text in Telegram (no parse mode), so they are not escaped.
    """
    rows = [
        [{"text": str(button.get("title", ""))[:200], "callback_data": registry.callback_data(str(button["payload"]))}]
        for button in buttons
        if button.get("payload")
    ]
    return {"inline_keyboard": rows}
