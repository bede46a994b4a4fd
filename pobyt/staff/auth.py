"""Staff sign-in: accounts from the environment, PBKDF2 password hashes, signed session cookies.

``POBYT_STAFF_ACCOUNTS="anna:pbkdf2_sha256$600000$<salt>$<hash>,petr:..."`` (hashes made with
``python -m pobyt.staff.hash_password``). ``POBYT_SESSION_SECRET`` signs the session cookies (without
it a random secret is made per process: sessions end when the server restarts).
``POBYT_STAFF_SESSION_MINUTES`` (default 480) is how long a session lasts.

A session cookie is ``<user>.<issued unix time>.<nonce>.<HMAC-SHA256 of the three>``; it is checked
in constant time and expires on the server side, whatever the browser keeps.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

ALGORITHM = "pbkdf2_sha256"
#: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
ITERATIONS = 600_000
DEFAULT_SESSION_MINUTES = 480.0
COOKIE_NAME = "pobyt_staff"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, iterations: int = ITERATIONS, salt: Optional[bytes] = None) -> str:
    """Returns ``pbkdf2_sha256$<iterations>$<salt>$<hash>`` for ``password`` (salt: 16 random bytes).

    Args:
        password: the password.
        iterations: PBKDF2 iterations (stored in the result, so it can be raised later).
        salt: the salt; random when not given.
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches the ``encoded`` hash (constant-time comparison)."""
    try:
        algorithm, iterations, salt, expected = encoded.split("$")
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _unb64(salt), int(iterations))
        return hmac.compare_digest(digest, _unb64(expected))
    except (ValueError, TypeError):
        return False


def parse_accounts(spec: str) -> Dict[str, str]:
    """Parses ``user:hash,user:hash`` into {user: hash}; malformed entries are skipped."""
    accounts: Dict[str, str] = {}
    for entry in spec.split(","):
        user, _, encoded = entry.strip().partition(":")
        if user.strip() and encoded.startswith(ALGORITHM + "$"):
            accounts[user.strip()] = encoded.strip()
    return accounts


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked for unknown users too, so that a wrong user name takes as long as a wrong password.
    return hash_password("not a password", iterations=ITERATIONS, salt=b"\0" * 16)


@dataclass
class StaffAuth:
    """The staff accounts, the session secret and lifetime, and the sessions signed out early."""

    accounts: Dict[str, str]
    secret: bytes
    lifetime_s: float = DEFAULT_SESSION_MINUTES * 60
    #: Nonces of sessions signed out early -> when they would have expired (then they are forgotten).
    revoked: Dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StaffAuth:
        """Reads ``POBYT_STAFF_ACCOUNTS``, ``POBYT_SESSION_SECRET`` and ``POBYT_STAFF_SESSION_MINUTES``."""
        secret = env.get("POBYT_SESSION_SECRET", "").encode("utf-8") or secrets.token_bytes(32)
        try:
            minutes = float(env.get("POBYT_STAFF_SESSION_MINUTES") or DEFAULT_SESSION_MINUTES)
        except ValueError:
            minutes = DEFAULT_SESSION_MINUTES
        return cls(parse_accounts(env.get("POBYT_STAFF_ACCOUNTS", "")), secret, max(minutes, 0.0) * 60)

    @property
    def enabled(self) -> bool:
        """True when at least one account is configured."""
        return bool(self.accounts)

    def check_password(self, user: str, password: str) -> bool:
        """True when ``user`` exists and ``password`` is theirs (same work for unknown users)."""
        encoded = self.accounts.get(user)
        matched = verify_password(password, encoded or _dummy_hash())
        return matched and encoded is not None

    def _signature(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode("utf-8"), hashlib.sha256).digest())

    def issue(self, user: str, now: Optional[float] = None) -> str:
        """Returns a new session cookie value for ``user``."""
        issued = int(now if now is not None else time.time())
        payload = f"{_b64(user.encode('utf-8'))}.{issued}.{secrets.token_urlsafe(12)}"
        return f"{payload}.{self._signature(payload)}"

    def user_of(self, cookie: Optional[str], now: Optional[float] = None) -> Optional[str]:
        """Returns the user of a valid, unexpired, not signed-out session cookie, else None."""
        if not cookie or cookie.count(".") != 3:
            return None
        payload, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature.encode("ascii", "replace"), self._signature(payload).encode("ascii")):
            return None
        user_b64, issued, nonce = payload.split(".")
        now = now if now is not None else time.time()
        try:
            age = now - int(issued)
            user = _unb64(user_b64).decode("utf-8")
        except ValueError:
            return None
        if age < 0 or age >= self.lifetime_s or nonce in self.revoked or user not in self.accounts:
            return None
        return user

    def revoke(self, cookie: Optional[str], now: Optional[float] = None) -> None:
        """Ends a session before it expires (sign-out): its nonce is refused until it would have expired."""
        now = now if now is not None else time.time()
        if self.user_of(cookie, now) is None or not cookie:
            return
        _, issued, nonce, _ = cookie.split(".")
        self.revoked[nonce] = int(issued) + self.lifetime_s
        # Sessions past their lifetime are refused anyway: their nonces need not be kept.
        for old in [n for n, expires in self.revoked.items() if expires <= now]:
            del self.revoked[old]


def auth_from_environment() -> StaffAuth:
    """Returns the staff accounts and session settings of this process's environment."""
    return StaffAuth.from_env(os.environ)
