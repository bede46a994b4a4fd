"""Sign-in throttling for the staff console: guessing passwords gets slow, then stops.

After ``attempts`` failed sign-ins for one user name, or from one client address, within
``window_s`` seconds, further attempts for that name or from that address are refused (429 with
Retry-After) until the oldest counted failure leaves the window, even with the right password: a
guesser must not learn that a guess was right. A successful sign-in clears its user name's count.

An attempt is counted (:meth:`LoginThrottle.failed`) *before* its password is checked and given
back when the password was right (:meth:`LoginThrottle.refund`): checking takes a good part of a
second, and guesses sent together must not all pass the count while the first are still being
checked. At most ``POBYT_STAFF_LOGIN_HASHES`` (default 2) passwords are checked at once
(:class:`HashSlots`); a sign-in beyond that is refused as busy and not counted, so a flood of
guesses cannot take the thread pool the assistant shares.

Memory stays bounded: failures older than the window are dropped, and at most ``max_keys`` names
and addresses are kept (the least recently failed go first). The count is per process.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Deque, Iterable, Mapping, Optional

from pobyt.settings import whole_number

ATTEMPTS_VARIABLE = "POBYT_STAFF_LOGIN_ATTEMPTS"
WINDOW_VARIABLE = "POBYT_STAFF_LOGIN_WINDOW_MINUTES"
HASHES_VARIABLE = "POBYT_STAFF_LOGIN_HASHES"
DEFAULT_ATTEMPTS = 5
DEFAULT_WINDOW_MINUTES = 15
#: Password checks at once: each keeps a CPU core busy for a good part of a second.
DEFAULT_HASHES = 2
#: Names and addresses kept at most (a few hundred bytes each).
MAX_KEYS = 10_000


@dataclass(frozen=True)
class ThrottleSettings:
    """At most ``attempts`` failed sign-ins per name or address in ``window_s`` seconds."""

    attempts: int = DEFAULT_ATTEMPTS
    window_s: float = DEFAULT_WINDOW_MINUTES * 60

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> ThrottleSettings:
        """Reads POBYT_STAFF_LOGIN_ATTEMPTS and POBYT_STAFF_LOGIN_WINDOW_MINUTES (empty: the default).

        Raises:
            ValueError: when a value is not a whole number >= 1 (a configuration error: fail at start-up).
        """
        attempts = whole_number(ATTEMPTS_VARIABLE, DEFAULT_ATTEMPTS, minimum=1, environ=environ)
        window_minutes = whole_number(WINDOW_VARIABLE, DEFAULT_WINDOW_MINUTES, minimum=1, environ=environ)
        return cls(attempts, window_minutes * 60.0)


class LoginThrottle:
    """Counts failed sign-ins per key (``user:NAME``, ``ip:ADDRESS``) in a sliding window."""

    def __init__(
        self,
        settings: Optional[ThrottleSettings] = None,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        """Starts with no failures; ``clock`` is injectable for tests."""
        self.settings = settings or ThrottleSettings()
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[str, Deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, key: str, now: float) -> Deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.settings.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, keys: Iterable[str]) -> int:
        """Returns the whole seconds until any of ``keys`` may try again; 0 when all may try now."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            failures = self._recent(key, now)
            if len(failures) >= self.settings.attempts:
                # Allowed again when enough failures have left the window.
                oldest_counted = failures[len(failures) - self.settings.attempts]
                wait = max(wait, oldest_counted + self.settings.window_s - now)
        return math.ceil(wait) if wait > 0 else 0

    def refund(self, keys: Iterable[str]) -> None:
        """Gives back the attempt counted last for each of ``keys`` (it turned out not to be a guess)."""
        for key in keys:
            failures = self._failures.get(key)
            if failures:
                failures.pop()
            if failures is not None and not failures:
                del self._failures[key]

    def failed(self, keys: Iterable[str]) -> None:
        """Records one failed sign-in for each of ``keys``."""
        now = self._clock()
        for key in keys:
            failures = self._recent(key, now)
            failures.append(now)
            # Only the last ``attempts`` failures matter: the deque never grows beyond them.
            while len(failures) > self.settings.attempts:
                failures.popleft()
            self._failures[key] = failures
            self._failures.move_to_end(key)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        """Clears ``key``'s failures (a user who signed in is no longer being guessed)."""
        self._failures.pop(key, None)


class HashSlots:
    """At most ``size`` password checks at once; beyond that a sign-in is refused, not queued.

    Used on the event loop only (take and give back without an await in between), so a counter is
    enough.
    """

    def __init__(self, size: int) -> None:
        """Starts with ``size`` free slots."""
        self.size = size
        self.in_use = 0

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> HashSlots:
        """Reads POBYT_STAFF_LOGIN_HASHES (default 2).

        Raises:
            ValueError: when the value is not a whole number >= 1.
        """
        return cls(whole_number(HASHES_VARIABLE, DEFAULT_HASHES, minimum=1, environ=environ))

    def take(self) -> bool:
        """Takes a slot; False when all are in use."""
        if self.in_use >= self.size:
            return False
        self.in_use += 1
        return True

    def give_back(self) -> None:
        """Frees a slot taken with :meth:`take`."""
        self.in_use = max(self.in_use - 1, 0)
