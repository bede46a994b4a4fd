"""The staff console's routes, served by the Rasa server at ``/staff`` (``StaffConsole`` in credentials.yml).

Pages: ``GET /staff`` (the console; redirects to the sign-in page without a session) and ``GET
/staff/login``. JSON: ``/staff/api/...`` (403 without a session). Without staff accounts
(``POBYT_STAFF_ACCOUNTS``) every route answers 503 with an explanation, so the assistant runs as usual.

POSTs need the session cookie (``SameSite=Strict``), the header ``X-Requested-With: pobyt-staff``
(another site's form cannot send it) and, when the browser sends one, an ``Origin`` equal to the
console's own. Message texts are never logged.

Bad input gets a JSON 4xx, never a 500: a body that is not a JSON object (or not UTF-8) is 400, a
field of the wrong type is 400, control characters are removed from texts and texts are cut to
their limits. Sign-in is throttled (:mod:`pobyt.staff.throttle`): after
``POBYT_STAFF_LOGIN_ATTEMPTS`` failures for one user name or from one address within
``POBYT_STAFF_LOGIN_WINDOW_MINUTES``, attempts get 429 with Retry-After; an attempt is counted before its
password is checked, and beyond ``POBYT_STAFF_LOGIN_HASHES`` checks at once a sign-in gets 503 (busy).
"""

from __future__ import annotations

import asyncio
import functools
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from pobyt.channels.guard import clean_text
from pobyt.conversation import today
from pobyt.kb.loader import get_knowledge_base
from pobyt.staff import views
from pobyt.staff.auth import COOKIE_NAME, StaffAuth, auth_from_environment
from pobyt.staff.notes import NoteStore, note_from_request
from pobyt.staff.proxy import client_address, is_local, request_host, request_scheme
from pobyt.staff.throttle import HashSlots, LoginThrottle, ThrottleSettings
from pobyt.staff.unanswered import read_unanswered, tracker_engine

#: The console's pages, script and style (the repository's staff/ folder).
STAFF_DIR = Path(__file__).resolve().parents[2] / "staff"
PREFIX = "/staff"
CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "pobyt-staff"
#: Files served without a session (the sign-in page needs them; they hold no data).
PUBLIC_FILES = {"staff.css": "text/css", "login.js": "text/javascript"}
PRIVATE_FILES = {"console.js": "text/javascript"}
MAX_BODY_TEXT = 2_000
SIGN_IN_FIRST = "Sign in first."
REFUSED_SIGN_IN = "Wrong user name or password."
#: Strict-Transport-Security on HTTPS: a year.
HSTS = "max-age=31536000"
#: Seconds a sign-in refused because too many passwords are being checked is told to wait.
BUSY_RETRY_S = 2
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DISABLED_TEXT = (
    "The staff console is disabled: no staff accounts are configured. Set POBYT_STAFF_ACCOUNTS "
    "(entries made with `python -m pobyt.staff.hash_password USER`) and POBYT_SESSION_SECRET, then restart."
)

Handler = Callable[..., Awaitable[HTTPResponse]]


def _read(name: str) -> str:
    # Read per request (the files are small): an edited page is served without a restart.
    return (STAFF_DIR / name).read_text(encoding="utf-8")


def _json(body: Any, status: int = 200) -> HTTPResponse:
    return response.json(body, status=status, headers=SECURITY_HEADERS, ensure_ascii=False)


def _page(name: str, status: int = 200) -> HTTPResponse:
    return response.html(_read(name), status=status, headers=SECURITY_HEADERS)


def _disabled(page: bool) -> HTTPResponse:
    if page:
        return response.html(
            f"<!doctype html><meta charset=utf-8><title>Staff console disabled</title><p>{DISABLED_TEXT}</p>",
            status=503,
            headers=SECURITY_HEADERS,
        )
    return _json({"error": DISABLED_TEXT}, 503)


def _too_many(wait: int) -> HTTPResponse:
    return response.json(
        {"error": "Too many failed sign-ins. Try again later.", "retry_after": wait},
        status=429,
        headers={**SECURITY_HEADERS, "Retry-After": str(wait)},
        ensure_ascii=False,
    )


def _busy() -> HTTPResponse:
    return response.json(
        {"error": "Too many sign-ins at once. Try again in a few seconds.", "retry_after": BUSY_RETRY_S},
        status=503,
        headers={**SECURITY_HEADERS, "Retry-After": str(BUSY_RETRY_S)},
        ensure_ascii=False,
    )


class BadInputError(Exception):
    """A request the console cannot use; its message is shown to staff."""


def json_body(request: Any) -> Dict[str, Any]:
    """Returns the request's JSON object (an empty body is an empty object).

    Raises:
        BadInputError: when the body is not JSON (or not UTF-8), or not an object.
    """
    if not request.body:
        return {}
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - any parse failure is the client's error
        raise BadInputError("The request is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadInputError("The request must be a JSON object.")
    return body


def text_field(body: Mapping[str, Any], key: str, limit: int) -> str:
    """Returns ``body[key]`` as clean text (no control characters, trimmed, cut to ``limit``); missing is "".

    Raises:
        BadInputError: when the field is there but not a string.
    """
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInputError(f"'{key}' must be text.")
    return clean_text(value[: limit * 2])[:limit]


def post_allowed(headers: Mapping[str, str], scheme: str, host: str) -> bool:
    """True when a POST carries the console's header and, if it names one, the console's own origin.

    The console's own host over HTTPS is its origin too, whatever the scheme the server sees: a TLS
    proxy that is not configured as trusted (pobyt/staff/proxy.py) forwards an https page's POST as
    http. Only the scheme is relaxed, never the host.

    Args:
        headers: the request headers (case-insensitive mapping).
        scheme: the request's scheme (http or https), from a trusted proxy or the connection.
        host: the host the request was sent to.
    """
    if headers.get(CSRF_HEADER) != CSRF_VALUE:
        return False
    origin = headers.get("Origin")
    return origin is None or origin in (f"{scheme}://{host}", f"https://{host}")


def secure_cookie(request: Any) -> bool:
    """Whether the session cookie gets the Secure flag: on HTTPS and anywhere but this machine.

    ``POBYT_STAFF_SECURE_COOKIE`` overrides: 1 always, 0 never (plain HTTP on a private network).
    """
    forced = os.environ.get("POBYT_STAFF_SECURE_COOKIE", "").strip().lower()
    if forced in ("1", "true", "yes"):
        return True
    if forced in ("0", "false", "no"):
        return False
    return request_scheme(request) == "https" or not is_local(request_host(request))


def _post_allowed(request: Request) -> bool:
    return post_allowed(request.headers, request_scheme(request), request_host(request))


def session_cookie_flags(secure: bool, max_age: int) -> Dict[str, Any]:
    """The session cookie's attributes: HttpOnly, SameSite=Strict, only under /staff, Secure on HTTPS."""
    return {"httponly": True, "samesite": "Strict", "path": PREFIX, "max-age": max_age, "secure": secure}


class StaffConsole(InputChannel):
    """The helpline staff console (issue 7): pages and JSON for signed-in staff."""

    @classmethod
    def name(cls) -> str:
        """Returns the channel's name."""
        return "staff"

    def url_prefix(self) -> str:
        """Serves the console at ``/staff`` rather than under ``/webhooks/``."""
        return PREFIX

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Builds the channel; accounts and secrets come from the environment, not credentials.yml."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Returns the console's routes (see the module's docstring)."""
        auth = auth_from_environment()
        notes = NoteStore.from_environment()
        blueprint = Blueprint("pobyt_staff", __name__)
        staff_only = functools.partial(_staff_only, auth)
        # Kept on the channel: one count per server process, and tests can start afresh.
        self.throttle = LoginThrottle(ThrottleSettings.from_environment())
        self.hash_slots = HashSlots.from_environment()

        @blueprint.middleware("response")
        async def strict_transport(request: Request, reply: HTTPResponse) -> None:
            # Browsers that reached the console over HTTPS keep to HTTPS (ignored over plain HTTP).
            if request_scheme(request) == "https":
                reply.headers["Strict-Transport-Security"] = HSTS

        @blueprint.route("", methods=["GET"])
        @staff_only(page=True)
        async def console(request: Request, user: str) -> HTTPResponse:
            return _page("console.html")

        @blueprint.route("/login", methods=["GET"])
        async def login_page(request: Request) -> HTTPResponse:
            if not auth.enabled:
                return _disabled(page=True)
            if auth.user_of(request.cookies.get(COOKIE_NAME)):
                return response.redirect(PREFIX)
            return _page("login.html")

        @blueprint.route("/static/<name>", methods=["GET"])
        async def asset(request: Request, name: str) -> HTTPResponse:
            if name in PRIVATE_FILES and auth.enabled and auth.user_of(request.cookies.get(COOKIE_NAME)):
                content_type = PRIVATE_FILES[name]
            elif name in PUBLIC_FILES:
                content_type = PUBLIC_FILES[name]
            elif name in PRIVATE_FILES:
                return _disabled(page=False) if not auth.enabled else _json({"error": SIGN_IN_FIRST}, 403)
            else:
                return _json({"error": "not found"}, 404)
            return response.text(_read(name), content_type=f"{content_type}; charset=utf-8", headers=SECURITY_HEADERS)

        @blueprint.route("/api/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            if not auth.enabled:
                return _disabled(page=False)
            if not _post_allowed(request):
                return _json({"error": "forbidden"}, 403)
            try:
                body = json_body(request)
                user, password = text_field(body, "user", 100), body.get("password")
                if password is not None and not isinstance(password, str):
                    raise BadInputError("'password' must be text.")
            except BadInputError as error:
                return _json({"error": str(error)}, 400)
            keys = [f"user:{user.casefold()}", f"ip:{client_address(request)}"]
            wait = self.throttle.retry_after(keys)
            if wait:
                # Checked before the password: a right guess during the pause must look like any other.
                return _too_many(wait)
            if not user or not password:
                return _json({"error": REFUSED_SIGN_IN}, 401)  # not a guess: not counted
            if not self.hash_slots.take():
                return _busy()  # not counted either: the password is not checked
            try:
                # Counted before the password is checked, with no await since the count was read:
                # guesses sent at once see each other. A right password gets its attempt back.
                self.throttle.failed(keys)
                # PBKDF2 takes a good part of a second: off the event loop, so chats are not held up.
                loop = asyncio.get_running_loop()
                if not await loop.run_in_executor(None, auth.check_password, user, password[:1000]):
                    return _json({"error": REFUSED_SIGN_IN}, 401)
            finally:
                self.hash_slots.give_back()
            self.throttle.refund(keys)
            self.throttle.succeeded(keys[0])
            reply = _json({"user": user})
            reply.cookies[COOKIE_NAME] = auth.issue(user)
            for key, value in session_cookie_flags(secure_cookie(request), int(auth.lifetime_s)).items():
                reply.cookies[COOKIE_NAME][key] = value
            return reply

        @blueprint.route("/api/logout", methods=["POST"])
        @staff_only()
        async def logout(request: Request, user: str) -> HTTPResponse:
            auth.revoke(request.cookies.get(COOKIE_NAME))
            reply = _json({"user": None})
            reply.cookies[COOKIE_NAME] = ""
            for key, value in session_cookie_flags(secure_cookie(request), 0).items():
                reply.cookies[COOKIE_NAME][key] = value
            return reply

        @blueprint.route("/api/session", methods=["GET"])
        @staff_only()
        async def session(request: Request, user: str) -> HTTPResponse:
            return _json({"user": user, "lifetime_minutes": auth.lifetime_s / 60})

        @blueprint.route("/api/analyse", methods=["POST"])
        @staff_only()
        async def analyse(request: Request, user: str) -> HTTPResponse:
            body = json_body(request)
            text = text_field(body, "text", MAX_BODY_TEXT)
            if not text:
                return _json({"error": "Paste the client's message first."}, 400)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return _json({"error": "The assistant's model is still loading; try again in a minute."}, 503)
            parse = await agent.parse_message(text)
            return _json(views.analyse(get_knowledge_base(), text, parse, today(), body.get("language")))

        # A POST, so that the query (perhaps a client's words) never appears in a URL or an access log.
        @blueprint.route("/api/kb/search", methods=["POST"])
        @staff_only()
        async def kb_search(request: Request, user: str) -> HTTPResponse:
            query = text_field(json_body(request), "q", MAX_BODY_TEXT)
            return _json({"results": views.search(get_knowledge_base(), query)})

        @blueprint.route("/api/kb/procedures", methods=["GET"])
        @staff_only()
        async def kb_procedures(request: Request, user: str) -> HTTPResponse:
            return _json({"procedures": views.procedure_list(get_knowledge_base())})

        @blueprint.route("/api/kb/procedures/<procedure_id>", methods=["GET"])
        @staff_only()
        async def kb_procedure(request: Request, user: str, procedure_id: str) -> HTTPResponse:
            kb = get_knowledge_base()
            if procedure_id not in kb.procedures:
                return _json({"error": "no such procedure"}, 404)
            language = views.client_language(request.args.get("language"))
            return _json(views.procedure_view(kb, procedure_id, language, today()))

        @blueprint.route("/api/kb/offices", methods=["GET"])
        @staff_only()
        async def kb_offices(request: Request, user: str) -> HTTPResponse:
            language = views.client_language(request.args.get("language"))
            return _json({"offices": views.office_list(get_knowledge_base(), language)})

        @blueprint.route("/api/checks", methods=["GET"])
        @staff_only()
        async def checks(request: Request, user: str) -> HTTPResponse:
            return _json({"checks": views.check_list(views.client_language(request.args.get("language")))})

        @blueprint.route("/api/checks/<check_id>", methods=["POST"])
        @staff_only()
        async def check_step(request: Request, user: str, check_id: str) -> HTTPResponse:
            body = json_body(request)
            if check_id not in views.CHECKS:
                return _json({"error": "no such check"}, 404)
            typed = body.get("typed")
            if typed is not None and not isinstance(typed, (str, int, float)):
                raise BadInputError("'typed' must be text or a number.")
            step = views.check_step(
                get_knowledge_base(),
                check_id,
                body.get("answers"),
                clean_text(str(typed)[:200]) if typed is not None else None,
                views.client_language(body.get("language")),
                today(),
            )
            return _json(step)

        @blueprint.route("/api/notes", methods=["GET"])
        @staff_only()
        async def notes_list(request: Request, user: str) -> HTTPResponse:
            # A file on disk that may be busy (timeout 5 s): read off the event loop.
            recent = await asyncio.get_running_loop().run_in_executor(None, notes.recent)
            return _json({"notes": [note.to_json() for note in recent]})

        @blueprint.route("/api/notes", methods=["POST"])
        @staff_only()
        async def notes_add(request: Request, user: str) -> HTTPResponse:
            body = json_body(request)
            for key in ("kind", "message", "answer", "language", "comment"):
                if key in body:
                    body[key] = text_field(body, key, 20_000)
            try:
                note = note_from_request(body, user)
            except ValueError as error:
                return _json({"error": str(error)}, 400)
            added = await asyncio.get_running_loop().run_in_executor(None, notes.add, note)
            return _json({"note": added.to_json()}, 201)

        @blueprint.route("/api/unanswered", methods=["GET"])
        @staff_only()
        async def unanswered(request: Request, user: str) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            engine = tracker_engine(getattr(agent, "tracker_store", None))
            if engine is None:
                return _json({"available": False, "questions": []})
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(None, read_unanswered, engine)
            return _json({"available": True, "questions": [group.to_json() for group in found]})

        return blueprint


def _staff_only(auth: StaffAuth, page: bool = False) -> Callable[[Handler], Handler]:
    """Wraps a route: 503 when the console is disabled, else the signed-in user or 403 / the sign-in page.

    POSTs also need :func:`post_allowed`. The handler gets the user's name after the request.
    """

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            if not auth.enabled:
                return _disabled(page)
            user = auth.user_of(request.cookies.get(COOKIE_NAME))
            if user is None:
                return response.redirect(f"{PREFIX}/login") if page else _json({"error": SIGN_IN_FIRST}, 403)
            if request.method == "POST" and not _post_allowed(request):
                return _json({"error": "forbidden"}, 403)
            try:
                return await handler(request, user, *args, **kwargs)
            except BadInputError as error:
                return _json({"error": str(error)}, 400)

        return guarded

    return wrap
