"""Rate limits for the public endpoints (answer, feedback): per key and per client address.

A token bucket per (endpoint, key) and per (endpoint, address): each holds up to a minute's worth
of requests and refills continuously, so a burst is allowed and a steady flood is not. Over the
limit, the caller gets 429 with `Retry-After` (whole seconds until one request is allowed again).
The buckets live in the service process: one process per data directory (see RELIABILITY.md).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from typing import Callable

from fastapi import Request

from kb_service.api.errors import ApiError
from kb_service.api.keys import Principal
from kb_service.config import Settings

_MAX_BUCKETS = 100_000  # a flood of distinct addresses must not grow memory without end


class TokenBuckets:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token: 0.0 when allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > _MAX_BUCKETS:
                self._prune(now)
        return wait

    def wait(self, key: str) -> float:
        """The seconds until `key` may spend a token (0.0: now), spending none."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled completely: they hold no state worth keeping."""
        full = [k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.capacity]
        for k in full:
            del self._buckets[k]


def client_address(request: Request, trusted_proxies: set[str]) -> str:
    """The caller's address; behind a trusted proxy, the last address in X-Forwarded-For that the
    proxies did not add themselves (a client can put anything at the front of that header)."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",") if p.strip()]
    for hop in reversed(forwarded):
        if hop not in trusted_proxies:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


SIGNIN_FAILURES_PER_MINUTE = 10  # wrong keys one client address may try at the desk's sign-in


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.signin_failures = TokenBuckets(SIGNIN_FAILURES_PER_MINUTE)
        self.per_key = TokenBuckets(settings.answer_rate_per_key) if settings.answer_rate_per_key else None
        self.per_address = TokenBuckets(settings.answer_rate_per_address) if settings.answer_rate_per_address else None
        self.trusted = {p.strip() for p in settings.trusted_proxies.split(",") if p.strip()}

    def check(self, endpoint: str, request: Request, principal: Principal) -> None:
        """Raise 429 when this key or this address has used up its requests to `endpoint`."""
        checks = []
        if self.per_key is not None:
            checks.append((self.per_key, f"{endpoint}|{principal.key_id}", "this API key", "KB_ANSWER_RATE_PER_KEY"))
        if self.per_address is not None:
            address = client_address(request, self.trusted)
            checks.append((self.per_address, f"{endpoint}|{address}", "this client address", "KB_ANSWER_RATE_PER_ADDRESS"))
        for buckets, key, who, setting in checks:
            wait = buckets.take(key)
            if wait > 0:
                raise ApiError(
                    429, f"too many requests from {who}: {int(buckets.capacity)} per minute are allowed ({setting}); "
                    f"retry in {math.ceil(wait)} s", code="rate_limited", headers={"Retry-After": str(math.ceil(wait))},
                )
