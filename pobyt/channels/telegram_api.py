"""A small client of the Telegram Bot API (or a self-hosted Bot API server) with timeouts.

Failures are logged and returned as None: a failing call never raises into the channel. The token
is part of every URL, so URLs and exception texts are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
#: Seconds a Bot API call may take (long polling adds its own wait to this).
DEFAULT_TIMEOUT_S = 10.0


class BotApiError(Exception):
    """A Bot API call failed; ``description`` is Telegram's reason (no token, no message text)."""

    def __init__(self, method: str, description: str, error_code: Optional[int] = None) -> None:
        super().__init__(f"{method}: {description}")
        self.method = method
        self.description = description
        self.error_code = error_code


class BotApi:
    """Calls Bot API methods: ``await api.call("sendMessage", {...})``."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._token = token
        self._api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._timeout_s = timeout_s
        self._session: Optional[aiohttp.ClientSession] = None

    async def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running event loop (never at start-up or import).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Closes the HTTP session (when the server stops)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def request(self, method: str, params: Dict[str, Any], timeout_s: Optional[float] = None) -> Any:
        """Calls ``method`` and returns its ``result``.

        Raises:
            BotApiError: when Telegram answers ``ok: false``, an unexpected body, or cannot be reached.
        """
        url = f"{self._api_url}/bot{self._token}/{method}"
        timeout = aiohttp.ClientTimeout(total=timeout_s or self._timeout_s)
        try:
            session = await self._client()
            async with session.post(url, json=params, timeout=timeout) as response:
                body = await response.json(content_type=None)
        except asyncio.TimeoutError as error:
            raise BotApiError(method, "timed out") from error
        except (aiohttp.ClientError, ValueError) as error:
            # The exception's text may contain the URL, and so the token: name its type only.
            raise BotApiError(method, f"request failed ({type(error).__name__})") from error
        if not isinstance(body, dict) or not body.get("ok"):
            description = body.get("description", "unexpected answer") if isinstance(body, dict) else "not JSON"
            code = body.get("error_code") if isinstance(body, dict) else None
            raise BotApiError(method, str(description), code)
        return body.get("result")

    async def call(self, method: str, params: Dict[str, Any]) -> Any:
        """Calls ``method`` like :meth:`request`, but logs a failure and returns None instead of raising."""
        try:
            return await self.request(method, params)
        except BotApiError as error:
            # Only the method and Telegram's reason: never the token or the message text.
            logger.warning("Telegram %s failed: %s (code %s)", method, error.description, error.error_code)
            return None
