"""Per-sender rate limit (token bucket) applied by our channels before a message reaches Rasa.

Each sender has a bucket of ``burst`` tokens refilled at ``per_minute`` tokens a minute; a message
takes one token. Over the limit the channel answers politely (Telegram, once per limited stretch) or
with 429 (REST) and Rasa never sees the message, so one flooding sender cannot slow everyone down.

Memory stays bounded: a sender idle long enough for a full bucket is forgotten (it would get a full
bucket anyway), and at most ``max_senders`` buckets are kept (the least recently seen go first).
The limit is per process: behind a load balancer with N Rasa processes a sender may get up to N
times as much. Limits per IP address belong in the reverse proxy (README "Limits").

:class:`InFlightLimit` caps the requests in flight across all senders (installed by
:mod:`pobyt.http_limits`): senders made up by the thousand each get a full bucket, but not more
of the server.
"""

from __future__ import annotations

import enum
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional

from pobyt.settings import whole_number

PER_MINUTE_VARIABLE = "POBYT_RATE_LIMIT_PER_MINUTE"
BURST_VARIABLE = "POBYT_RATE_LIMIT_BURST"
#: A person types a question every few seconds at most; 30 a minute leaves room for button presses.
DEFAULT_PER_MINUTE = 30
#: Quick button presses and a retyped question in a row must never be refused.
DEFAULT_BURST = 10
#: Buckets kept at most (about 150 bytes each).
MAX_SENDERS = 100_000


class Decision(enum.Enum):
    """What to do with a message."""

    ALLOW = "allow"
    #: Refused, and the sender has not been told since their last accepted message: tell them.
    REFUSE_AND_TELL = "refuse_and_tell"
    #: Refused again: stay quiet (answering every message of a flood would be a flood too).
    REFUSE_QUIETLY = "refuse_quietly"


@dataclass(frozen=True)
class RateLimitSettings:
    """The limit: ``per_minute`` tokens a minute, at most ``burst`` at once; ``per_minute`` 0 turns it off."""

    per_minute: int = DEFAULT_PER_MINUTE
    burst: int = DEFAULT_BURST

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> RateLimitSettings:
        """Reads POBYT_RATE_LIMIT_PER_MINUTE and POBYT_RATE_LIMIT_BURST (empty or invalid: the default).

        Raises:
            ValueError: when a value is not a whole number >= 0 (a configuration error: fail at start-up).
        """
        return cls(
            per_minute=whole_number(PER_MINUTE_VARIABLE, DEFAULT_PER_MINUTE, environ=environ),
            burst=whole_number(BURST_VARIABLE, DEFAULT_BURST, environ=environ),
        )

    @property
    def enabled(self) -> bool:
        """Whether messages are limited at all."""
        return self.per_minute > 0


@dataclass
class _Bucket:
    tokens: float
    updated: float
    told: bool = False


class RateLimiter:
    """Token buckets per sender, in memory (not shared between processes)."""

    def __init__(
        self,
        settings: RateLimitSettings,
        max_senders: int = MAX_SENDERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._capacity = float(max(settings.burst, 1))
        self._rate = settings.per_minute / 60.0  # tokens per second
        self._max_senders = max_senders
        self._clock = clock
        # Least recently seen first: the front is where idle buckets are.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, sender: str) -> Decision:
        """Takes a token from ``sender``'s bucket; returns whether the message may go on."""
        if not self.settings.enabled:
            return Decision.ALLOW
        now = self._clock()
        self._evict(now)
        bucket = self._buckets.pop(sender, None) or _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[sender] = bucket  # now the most recently seen
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.told = False
            return Decision.ALLOW
        if bucket.told:
            return Decision.REFUSE_QUIETLY
        bucket.told = True
        return Decision.REFUSE_AND_TELL

    def retry_after(self, sender: str) -> int:
        """Returns the whole seconds until ``sender`` has a token again (0 when it has one now)."""
        bucket = self._buckets.get(sender)
        if bucket is None or not self.settings.enabled:
            return 0
        tokens = bucket.tokens + (self._clock() - bucket.updated) * self._rate
        return 0 if tokens >= 1.0 else math.ceil((1.0 - tokens) / self._rate)

    def _evict(self, now: float) -> None:
        # A bucket idle for this long is full again: forgetting it changes nothing for its sender.
        refill_s = self._capacity / self._rate
        while self._buckets:
            sender, oldest = next(iter(self._buckets.items()))
            if now - oldest.updated < refill_s and len(self._buckets) < self._max_senders:
                break
            del self._buckets[sender]


class InFlightLimit:
    """At most ``limit`` requests in flight across all senders (rotating senders bypass the per-sender limit).

    A request enters before Rasa sees it and leaves when its response is ready. A request whose
    client hung up may never get a response (Sanic cancels it): each entry carries a ``gone`` check
    (its connection is closing), and gone entries are dropped when the limit is reached, so the
    count cannot leak.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: Dict[int, Optional[Callable[[], bool]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def enter(self, key: int, gone: Optional[Callable[[], bool]] = None) -> bool:
        """Counts request ``key`` in; returns False (and counts nothing) when ``limit`` are in flight.

        Args:
            key: The request's identity (unique while it is in flight).
            gone: Returns True once the request's client has hung up (its place may be reused).
        """
        if self.limit <= 0:
            return True
        if len(self._entries) >= self.limit:
            self._entries = {k: check for k, check in self._entries.items() if check is None or not check()}
        if len(self._entries) >= self.limit:
            return False
        self._entries[key] = gone
        return True

    def leave(self, key: int) -> None:
        """Counts request ``key`` out (nothing happens when it was not in)."""
        self._entries.pop(key, None)
