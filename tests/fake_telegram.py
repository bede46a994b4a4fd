"""A fake Telegram Bot API server: records every call and answers with Telegram-shaped JSON.

Also builds updates shaped exactly as Telegram sends them (private chat, one user).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:TEST-token_for_the_fake_server"
SECRET = "test_secret-0123456789"
NOW = 1764000000


@dataclass
class Call:
    """One Bot API call: its method name and JSON parameters."""

    method: str
    params: Dict[str, Any]


class FakeTelegram:
    """State of the fake server: recorded calls, queued updates for getUpdates, failing methods."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: List[Call] = []
        self.updates: List[Dict[str, Any]] = []
        self.failing: Set[str] = set()
        self.webhook: Dict[str, Any] = {}
        self.url = ""
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1000)

    def calls_of(self, method: str, chat_id: Optional[int] = None) -> List[Dict[str, Any]]:
        """Returns the parameters of the recorded calls of ``method`` (to ``chat_id`` if given)."""
        with self._lock:
            return [
                c.params
                for c in self.calls
                if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
            ]

    def texts(self, chat_id: int) -> List[str]:
        """Returns the texts sent to ``chat_id``, in order."""
        return [p["text"] for p in self.calls_of("sendMessage", chat_id)]

    def clear(self) -> None:
        """Forgets the recorded calls."""
        with self._lock:
            self.calls.clear()

    def answer(self, method: str, params: Dict[str, Any]) -> tuple[int, Dict[str, Any]]:
        """Records a call and returns (HTTP status, body) as Telegram would."""
        with self._lock:
            self.calls.append(Call(method, params))
        if method in self.failing:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        if method == "sendMessage":
            if not params.get("text") or len(params["text"]) > 4096:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
            chat = {"id": params["chat_id"], "type": "private"}
            return 200, {"ok": True, "result": {"message_id": next(self._message_ids), "date": NOW, "chat": chat,
                                                "text": params["text"]}}  # fmt: skip
        if method in ("answerCallbackQuery", "deleteWebhook", "sendChatAction"):
            if method == "deleteWebhook":
                self.webhook = {}
            return 200, {"ok": True, "result": True}
        if method == "setWebhook":
            self.webhook = dict(params)
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "getWebhookInfo":
            info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
            return 200, {"ok": True, "result": info}
        if method == "getUpdates":
            if self.webhook.get("url"):
                description = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook"
                return 409, {"ok": False, "error_code": 409, "description": description}
            offset = params.get("offset") or 0
            with self._lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                return 200, {"ok": True, "result": list(self.updates)}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


def _handler(fake: FakeTelegram) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            prefix = f"/bot{fake.token}/"
            if not self.path.startswith(prefix):
                status, answer = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            else:
                status, answer = fake.answer(self.path[len(prefix) :], body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    return Handler


@contextmanager
def running_fake_telegram() -> Iterator[FakeTelegram]:
    """Runs the fake Bot API on a free local port; ``fake.url`` is its base URL."""
    fake = FakeTelegram()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


# Updates, shaped as Telegram sends them.
_update_ids = itertools.count(700_000_000)


def user(user_id: int, language_code: Optional[str] = None) -> Dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Olena", "username": f"user{user_id}"}
    if language_code is not None:
        person["language_code"] = language_code
    return person


def chat(user_id: int) -> Dict[str, Any]:
    return {"id": user_id, "first_name": "Olena", "username": f"user{user_id}", "type": "private"}


def message(user_id: int, language_code: Optional[str] = None, **content: Any) -> Dict[str, Any]:
    """A message update; ``content`` is e.g. ``text="hi"`` or ``photo=[...]``."""
    body = {"message_id": next(_update_ids) % 100_000, "from": user(user_id, language_code), "chat": chat(user_id),
            "date": int(time.time()), **content}  # fmt: skip
    if isinstance(content.get("text"), str) and content["text"].startswith("/"):
        command = content["text"].split()[0]
        body["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"update_id": next(_update_ids), "message": body}


def text(user_id: int, words: str, language_code: Optional[str] = "en") -> Dict[str, Any]:
    return message(user_id, language_code, text=words)


def group(group_id: int, kind: str = "supergroup") -> Dict[str, Any]:
    return {"id": group_id, "title": "Ukrainians in Košice", "type": kind}


def group_text(group_id: int, user_id: int, words: str, language_code: Optional[str] = "en") -> Dict[str, Any]:
    """A member's message in a group chat (the chat is the group, the sender is the member)."""
    update = message(user_id, language_code, text=words)
    update["message"]["chat"] = group(group_id)
    return update


def edited(user_id: int, words: str, language_code: Optional[str] = "en") -> Dict[str, Any]:
    update = message(user_id, language_code, text=words)
    body = update.pop("message")
    body["edit_date"] = body["date"] + 5
    return {"update_id": update["update_id"], "edited_message": body}


def sticker(user_id: int, language_code: Optional[str] = "en") -> Dict[str, Any]:
    return message(user_id, language_code, sticker={
        "file_id": "CAACAgIAAxkBAAEBsticker", "file_unique_id": "AgADsticker", "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
        "set_name": "HotCherry", "file_size": 23456,
    })  # fmt: skip


def photo(user_id: int, language_code: Optional[str] = "en") -> Dict[str, Any]:
    sizes = [
        {"file_id": f"AgACAgIAAxkBAAEBphoto{w}", "file_unique_id": f"AQADphoto{w}", "file_size": w * 40,
         "width": w, "height": w * 3 // 4}
        for w in (90, 320, 800)
    ]  # fmt: skip
    return message(user_id, language_code, photo=sizes, caption="my residence card")


def voice(user_id: int, language_code: Optional[str] = "en") -> Dict[str, Any]:
    return message(user_id, language_code, voice={
        "duration": 7, "mime_type": "audio/ogg", "file_id": "AwACAgIAAxkBAAEBvoice", "file_unique_id": "AgADvoice",
        "file_size": 18321,
    })  # fmt: skip


def document(user_id: int, language_code: Optional[str] = "en") -> Dict[str, Any]:
    return message(user_id, language_code, document={
        "file_name": "zmluva.pdf", "mime_type": "application/pdf", "file_id": "BQACAgIAAxkBAAEBdoc",
        "file_unique_id": "AgADdoc", "file_size": 254781,
    }, caption="is this contract ok")  # fmt: skip


def location(user_id: int, language_code: Optional[str] = "en") -> Dict[str, Any]:
    return message(user_id, language_code, location={"latitude": 48.716385, "longitude": 21.261074})


def callback(user_id: int, data: str, language_code: Optional[str] = "en") -> Dict[str, Any]:
    bot_message = {"message_id": 4242, "from": {"id": 123456789, "is_bot": True, "first_name": "pobyt",
                   "username": "pobyt_bot"}, "chat": chat(user_id), "date": int(time.time()), "text": "…"}  # fmt: skip
    query = {"id": str(next(_update_ids) * 1000 + 17), "from": user(user_id, language_code), "message": bot_message,
             "chat_instance": "-4412345678901234567", "data": data}  # fmt: skip
    return {"update_id": next(_update_ids), "callback_query": query}
