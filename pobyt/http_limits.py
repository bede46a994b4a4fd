"""Limits of the Rasa server's HTTP side: body size, requests in flight, CORS scope, text read by NLU.

Rasa builds its Sanic app itself; the ``pobyt.http_limits.HttpLimits`` entry in credentials.yml
(a channel without routes, like retention) adjusts it before the server accepts connections, so
every route is covered: Rasa's own API as well as our channels.

- **Body size**: Sanic accepts bodies up to 100 MB by default and reads them, on the event loop,
  before any handler or middleware can look at the request. Here the limit is
  ``POBYT_REQUEST_MAX_BYTES`` (default 64 KiB: a 4,000-character message in JSON is under 25 KiB);
  a larger ``Content-Length`` is answered 413 before a byte of the body is read. Routes that must
  authenticate before reading (the Telegram webhook) stream their body and call
  :func:`receive_body_within_limit` once the caller is known.
- **Requests in flight**: the per-sender limit (:mod:`pobyt.ratelimit`) does nothing against many
  senders at once. POSTs to ``/webhooks/*`` (people's messages) beyond ``POBYT_MAX_IN_FLIGHT``
  (default 64; 0 = no cap) at a time get 503 with a polite JSON answer, without touching Rasa or the
  tracker store.
- **CORS**: Rasa applies its ``--cors`` origins to every route with credentials allowed. The staff
  console (``/staff*``) works with a cookie and must never answer another site's script: it gets no
  CORS headers at all. No route allows credentials (the widget sends none), and ``*`` is answered
  with a literal ``*`` instead of the caller's origin.
- **Text read by NLU**: recognition costs about 0.05 s per 1,000 characters, on the event loop. NLU
  reads at most ``POBYT_NLU_MAX_CHARS`` (default 1,000) characters of a message, cut at a word
  boundary; the conversation keeps the whole text.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from pobyt.messages import language_or_default, say
from pobyt.ratelimit import InFlightLimit
from pobyt.settings import whole_number

logger = logging.getLogger(__name__)

REQUEST_MAX_VARIABLE = "POBYT_REQUEST_MAX_BYTES"
#: Largest request body: a maximal message (4,000 characters, 6 bytes each when JSON-escaped) fits.
DEFAULT_REQUEST_MAX_BYTES = 64 * 1024
#: Below this even a short message with its metadata would be refused.
MIN_REQUEST_MAX_BYTES = 1024
IN_FLIGHT_VARIABLE = "POBYT_MAX_IN_FLIGHT"
#: Rasa handles messages one at a time on its event loop: beyond a few dozen waiting, every answer is late.
DEFAULT_MAX_IN_FLIGHT = 64
NLU_MAX_VARIABLE = "POBYT_NLU_MAX_CHARS"
#: A question is rarely over 500 characters; 1,000 cost about 0.05 s in recognition (4,000: 0.2 s).
DEFAULT_NLU_MAX_CHARS = 1000
MIN_NLU_MAX_CHARS = 100
#: Seconds a client is asked to wait when the server is busy.
BUSY_RETRY_AFTER_S = 5
#: POSTs under this prefix carry people's messages (REST, widget, Telegram): they count as in flight.
MESSAGE_PATH_PREFIX = "/webhooks/"
#: The staff console: cookie-authenticated, so no other site's script may read its answers.
NO_CORS_PATHS = re.compile(r"^/staff(/.*)?$")
#: How Sanic-CORS stores the origin "*".
WILDCARD_ORIGIN = ".*"


@dataclass(frozen=True)
class HttpLimitSettings:
    """The limits (see the module docstring); ``max_in_flight`` 0 turns the in-flight cap off."""

    request_max_bytes: int = DEFAULT_REQUEST_MAX_BYTES
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    nlu_max_chars: int = DEFAULT_NLU_MAX_CHARS

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> HttpLimitSettings:
        """Reads POBYT_REQUEST_MAX_BYTES, POBYT_MAX_IN_FLIGHT and POBYT_NLU_MAX_CHARS (unset or empty: default).

        Raises:
            ValueError: when a value is not a whole number in range (a configuration error: fail at start-up).
        """
        return cls(
            request_max_bytes=whole_number(
                REQUEST_MAX_VARIABLE, DEFAULT_REQUEST_MAX_BYTES, MIN_REQUEST_MAX_BYTES, environ
            ),
            max_in_flight=whole_number(IN_FLIGHT_VARIABLE, DEFAULT_MAX_IN_FLIGHT, environ=environ),
            nlu_max_chars=whole_number(NLU_MAX_VARIABLE, DEFAULT_NLU_MAX_CHARS, MIN_NLU_MAX_CHARS, environ),
        )


async def receive_body_within_limit(request: Request) -> None:
    """Reads the body of a streaming route's request, refusing (413) one over the server's size limit.

    Sanic lifts the size limit for streaming routes; this puts it back before reading.

    Raises:
        sanic.exceptions.PayloadTooLarge: when the body is over the limit (Sanic answers 413).
    """
    if request.stream is not None:
        request.stream.request_max_size = request.app.config.REQUEST_MAX_SIZE
    await request.receive_body()


def nlu_text(text: str, limit: int) -> str:
    """Returns the first ``limit`` characters of ``text``, cut after the last whole word when there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return cut[:space].rstrip() if space > limit // 2 else cut


def restrict_cors(app: Sanic) -> None:
    """Removes CORS from the staff console, credentials from every route, and reflection of ``*``.

    Works on the resources Sanic-CORS computed from Rasa's ``--cors`` (its ``app.ctx.sanic_cors``).
    """
    context = getattr(app.ctx, "sanic_cors", None)
    if context is None:
        return
    resources: List[Tuple[Any, Dict[str, Any]]] = []
    for pattern, options in context.resources:
        options = {**options, "supports_credentials": False}
        # Without this Sanic-CORS echoes any caller's origin for "*" (and allowed credentials with it).
        options["send_wildcard"] = WILDCARD_ORIGIN in (options.get("origins") or [])
        resources.append((pattern, options))
    base = resources[0][1] if resources else {"automatic_options": True, "always_send": True}
    # Matched first; no origin is allowed, so a preflight or a request gets no CORS header.
    staff = (NO_CORS_PATHS, {**base, "origins": [], "send_wildcard": False, "supports_credentials": False})
    context.resources = [staff, *resources]


def busy_response(request: Request) -> HTTPResponse:
    """Returns the 503 answer for a request over the in-flight cap, in the language the body hints at."""
    hint = None
    try:
        body = request.json  # already read (small: within the size limit); streaming routes have none yet
    except Exception:  # noqa: BLE001 - no usable body: the default language
        body = None
    if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
        hint = body["metadata"].get("language")
    return response.json(
        {
            "error": "the assistant is busy",
            "retry_after": BUSY_RETRY_AFTER_S,
            "text": say("ratelimit.busy", language_or_default(hint)),
        },
        status=503,
        headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
    )


def install_in_flight_cap(app: Sanic, limit: InFlightLimit) -> None:
    """Counts people's messages (POSTs under /webhooks/) in flight; refuses those over ``limit``."""

    async def admit(request: Request) -> Optional[HTTPResponse]:
        if request.method != "POST" or not request.path.startswith(MESSAGE_PATH_PREFIX):
            return None
        transport = request.transport
        # A client that hung up is no longer waiting: its place is freed even if no response was sent.
        if not limit.enter(id(request), transport.is_closing if transport is not None else None):
            logger.warning("%d messages in flight: answered 503 busy", len(limit))
            return busy_response(request)
        request.ctx.pobyt_in_flight = True
        return None

    async def release(request: Request, _: HTTPResponse) -> None:
        if getattr(request.ctx, "pobyt_in_flight", False):
            request.ctx.pobyt_in_flight = False
            limit.leave(id(request))

    app.register_middleware(admit, "request")
    app.register_middleware(release, "response")


_parse_message: Optional[Callable[..., Awaitable[Dict[str, Any]]]] = None


def cap_nlu_text(limit: int) -> None:
    """Makes Rasa's NLU read at most ``limit`` characters of each message (idempotent; last limit wins)."""
    global _parse_message
    from rasa.core.processor import MessageProcessor

    if _parse_message is None:
        _parse_message = MessageProcessor.parse_message

    original = _parse_message

    async def parse_message(
        self: MessageProcessor, message: UserMessage, tracker: Any = None, only_output_properties: bool = True
    ) -> Dict[str, Any]:
        if message.text and len(message.text) > limit:
            message = copy.copy(message)  # the conversation keeps the whole text; only NLU reads less
            message.text = nlu_text(message.text, limit)
        return await original(self, message, tracker, only_output_properties)

    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]


class HttpLimits(InputChannel):
    """Applies the limits to Rasa's Sanic app (``pobyt.http_limits.HttpLimits`` in credentials.yml).

    A channel only because channels are how Rasa loads project code into its server; it has no
    routes. The limits come from the environment (see the module docstring).
    """

    def __init__(self, settings: Optional[HttpLimitSettings] = None) -> None:
        """Reads the settings now: a wrong value stops the server at start-up, not at the first message."""
        self.settings = settings or HttpLimitSettings.from_environment()
        self.in_flight = InFlightLimit(self.settings.max_in_flight)

    @classmethod
    def name(cls) -> str:
        """Returns the channel's name (its unused URL prefix)."""
        return "limits"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Builds the channel; its settings come from the environment."""
        return cls()

    def apply(self, app: Sanic) -> None:
        """Sets the body limit, the in-flight cap, the CORS scope and the NLU text cap on ``app``."""
        app.config.REQUEST_MAX_SIZE = self.settings.request_max_bytes
        restrict_cors(app)
        if self.settings.max_in_flight > 0:
            install_in_flight_cap(app, self.in_flight)
        cap_nlu_text(self.settings.nlu_max_chars)
        logger.info(
            "HTTP limits: bodies up to %d bytes, %s messages in flight, NLU reads %d characters",
            self.settings.request_max_bytes,
            self.settings.max_in_flight or "unlimited",
            self.settings.nlu_max_chars,
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Returns a blueprint without routes that applies the limits before the server starts."""
        blueprint = Blueprint("pobyt_limits", __name__)

        @blueprint.listener("before_server_start")
        async def limit(app: Sanic, _: Any) -> None:
            self.apply(app)

        return blueprint
