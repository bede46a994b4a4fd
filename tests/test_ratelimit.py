"""The per-sender token bucket (pobyt/ratelimit.py), on a fake clock."""

from __future__ import annotations

import pytest

from pobyt.ratelimit import Decision, InFlightLimit, RateLimiter, RateLimitSettings


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(per_minute: int = 30, burst: int = 10, max_senders: int = 1000) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    return RateLimiter(RateLimitSettings(per_minute, burst), max_senders=max_senders, clock=clock), clock


def test_a_burst_passes_then_the_sender_is_told_once_then_refused_quietly():
    limit, _ = limiter()
    assert [limit.check("a") for _ in range(10)] == [Decision.ALLOW] * 10
    assert limit.check("a") is Decision.REFUSE_AND_TELL
    assert limit.check("a") is Decision.REFUSE_QUIETLY
    assert limit.check("a") is Decision.REFUSE_QUIETLY


def test_tokens_come_back_at_the_configured_rate():
    limit, clock = limiter(per_minute=30)
    for _ in range(10):
        limit.check("a")
    assert limit.check("a") is Decision.REFUSE_AND_TELL
    assert limit.retry_after("a") == 2  # 30 a minute: one token every 2 s
    clock.now += 2.0
    assert limit.retry_after("a") == 0
    assert limit.check("a") is Decision.ALLOW
    # Accepted again, so a new refusal is told again.
    assert limit.check("a") is Decision.REFUSE_AND_TELL


def test_a_steady_sender_within_the_rate_is_never_refused():
    limit, clock = limiter(per_minute=30, burst=1)
    for _ in range(100):
        assert limit.check("a") is Decision.ALLOW
        clock.now += 2.0


def test_senders_are_independent():
    limit, _ = limiter(burst=2)
    limit.check("a"), limit.check("a")
    assert limit.check("a") is Decision.REFUSE_AND_TELL
    assert limit.check("b") is Decision.ALLOW


def test_idle_senders_are_forgotten():
    limit, clock = limiter(per_minute=30, burst=10)
    for sender in range(500):
        limit.check(str(sender))
    assert len(limit) == 500
    clock.now += 20.0  # 10 tokens at 0.5/s: every bucket is full again
    limit.check("new")
    assert len(limit) == 1


def test_memory_is_bounded_under_many_senders():
    limit, clock = limiter(max_senders=100)
    for sender in range(10_000):
        limit.check(str(sender))
        clock.now += 0.001
    assert len(limit) == 100


def test_zero_turns_the_limit_off():
    limit, _ = limiter(per_minute=0)
    assert all(limit.check("a") is Decision.ALLOW for _ in range(1000))
    assert len(limit) == 0
    assert limit.retry_after("a") == 0


def test_settings_from_the_environment():
    assert RateLimitSettings.from_environment({}) == RateLimitSettings(30, 10)
    assert RateLimitSettings.from_environment(
        {"POBYT_RATE_LIMIT_PER_MINUTE": "120", "POBYT_RATE_LIMIT_BURST": " 20 "}
    ) == RateLimitSettings(120, 20)
    assert RateLimitSettings.from_environment({"POBYT_RATE_LIMIT_PER_MINUTE": ""}).per_minute == 30
    assert not RateLimitSettings.from_environment({"POBYT_RATE_LIMIT_PER_MINUTE": "0"}).enabled
    for wrong in ("-1", "ten", "1.5"):
        with pytest.raises(ValueError, match="POBYT_RATE_LIMIT_PER_MINUTE"):
            RateLimitSettings.from_environment({"POBYT_RATE_LIMIT_PER_MINUTE": wrong})


# ---- requests in flight across all senders


def test_in_flight_requests_beyond_the_cap_are_refused_until_one_leaves():
    cap = InFlightLimit(2)
    assert cap.enter(1) and cap.enter(2)
    assert not cap.enter(3)  # a third sender, however new, waits for a place
    cap.leave(1)
    assert cap.enter(3)
    assert len(cap) == 2


def test_a_request_whose_client_hung_up_frees_its_place():
    hung_up = {1: False}
    cap = InFlightLimit(1)
    assert cap.enter(1, lambda: hung_up[1])
    assert not cap.enter(2)
    hung_up[1] = True  # cancelled by the server: its response (and leave) never comes
    assert cap.enter(2)
    assert len(cap) == 1


def test_no_cap_when_the_limit_is_0():
    cap = InFlightLimit(0)
    assert all(cap.enter(key) for key in range(1000))
