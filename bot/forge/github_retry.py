"""Retries, rate limits and write spacing for GitHub calls, done in our layer rather than urllib3's so that
PATCH is retried, waits are capped, and a create whose answer was lost is looked up before it is sent again."""
from __future__ import annotations

import email.utils
import http
import logging
import re
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

import requests
from github import GithubException

from bot.forge.base import ForgeError

T = TypeVar("T")
log = logging.getLogger("bot.forge.github")

_TRANSIENT_STATUSES = {500, 502, 503, 504}
# what GitHub says when a secondary (abuse) limit trips; PyGithub matches the same phrases
_SECONDARY_PHRASES = ("secondary rate limit", "please retry your request again later",
                      "please wait a few minutes before you try again", "abuse detection")


@dataclass(frozen=True)
class RetryPolicy:
    """How the GitHub client retries failed calls and spaces its writes."""

    max_attempts: int = 5  # tries per call, the first one included
    max_wait: float = 60.0  # longest single wait we accept; GitHub asking for more ends the call
    backoff: float = 2.0  # first wait after a 5xx or a dropped connection, doubled each time
    secondary_wait: float = 60.0  # secondary limit without Retry-After: GitHub's docs say wait >= 60 s
    write_spacing: float = 1.0  # GitHub asks integrations to make writes serially, >= 1 s apart


class GitHubError(ForgeError):
    """A GitHub call that failed for good; a BotError too, so the CLI reports it as one line.
    `status` is the HTTP status (None: no answer); `retry_at` is the epoch time GitHub said to come back,
    when a rate limit asked for a longer wait than allowed."""

    def __init__(self, message: str, *, status: int | None = None, retry_at: float | None = None) -> None:
        super().__init__(message)
        self.status, self.retry_at = status, retry_at


class Scrubber:
    """Removes secrets from text: the tokens it was given, plus anything shaped like a GitHub token or a
    credential inside a URL, in case a token we were never told about shows up."""

    _PATTERNS = (
        (re.compile(r"\b(gh[pousr]_)[A-Za-z0-9]{16,}"), r"\1***"),
        (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), "github_pat_***"),
        (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), r"\1***@"),
        (re.compile(r"(?i)\b(authorization['\"]?\s*[:=]\s*['\"]?(?:token|bearer|basic)\s+)[^\s'\",;}(]+"), r"\1***"),
    )

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            self.secrets.add(secret)
            self.secrets.add(urllib.parse.quote(secret, safe=""))

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        for pattern, replacement in self._PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class ScrubbingFilter(logging.Filter):
    """Rewrites log records of the loggers it is attached to so that no secret reaches a handler."""

    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__()
        self.scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.scrubber(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


# one scrubber for the process: every GitHubForge adds its token, and the filter is attached once
PROCESS_SCRUBBER = Scrubber()
_FILTER = ScrubbingFilter(PROCESS_SCRUBBER)
for _name in ("bot.forge.github", "github.Requester", "github.GithubRetry", "urllib3.connectionpool"):
    logging.getLogger(_name).addFilter(_FILTER)


@dataclass
class _Failure:
    """What one failed GitHub call means for the next try."""

    retryable: bool
    wait: float  # seconds to wait before the next try
    acted_maybe: bool  # the server may have done the work (5xx, lost connection): look before re-creating
    status: int | None
    text: str
    rate_limited: bool = False


class ApiCaller:
    """Runs one logical GitHub call: retries, honours Retry-After and the rate-limit reset up to
    policy.max_wait, spaces writes, and turns every failure into a scrubbed GitHubError."""

    def __init__(self, policy: RetryPolicy, scrubber: Scrubber, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        self.policy, self.scrub, self.sleep, self.clock = policy, scrubber, sleep, clock
        self._last_write = float("-inf")

    def read(self, what: str, call: Callable[[], T]) -> T:
        return self._run(what, call, write=False)

    def write(self, what: str, call: Callable[[], T]) -> T:
        """A write that is safe to send twice (PATCH, PUT, DELETE, adding labels or a reaction)."""
        return self._run(what, call, write=True)

    def create(self, what: str, call: Callable[[], T], find_existing: Callable[[], T | None]) -> T:
        """A write that would duplicate something if sent twice. Never resent blindly: after any failure
        we look for what the lost request may have made, and only create again when it is not there."""
        return self._run(what, call, write=True, find_existing=find_existing)

    def _run(self, what: str, call: Callable[[], T], *, write: bool,
             find_existing: Callable[[], T | None] | None = None) -> T:
        rate_waits = 0
        for attempt in range(1, self.policy.max_attempts + 1):
            if write:
                self._space_writes()
            try:
                return call()
            except Exception as exc:  # noqa: BLE001 - classified below, re-raised as GitHubError
                failure = self._classify(exc, attempt, rate_waits)
            finally:
                if write:
                    self._last_write = self.clock()
            if not failure.retryable:
                raise GitHubError(f"GitHub: {what} failed: {failure.text}", status=failure.status) from None
            if not failure.rate_limited:  # our own backoff, not GitHub's request: never a reason to give up
                failure.wait = min(failure.wait, self.policy.max_wait)
            if failure.wait > self.policy.max_wait:
                retry_at = self.clock() + failure.wait
                raise GitHubError(
                    f"GitHub: {what} was rate limited ({failure.text}); GitHub asks to wait {failure.wait:.0f} s, "
                    f"more than the {self.policy.max_wait:.0f} s allowed: retry after {_utc(retry_at)}",
                    status=failure.status, retry_at=retry_at) from None
            if attempt == self.policy.max_attempts:
                raise GitHubError(f"GitHub: {what} failed after {attempt} attempts: {failure.text}",
                                  status=failure.status) from None
            rate_waits += failure.rate_limited
            log.warning("GitHub: %s: %s; retrying in %.1f s (attempt %d of %d)", what, failure.text,
                        failure.wait, attempt + 1, self.policy.max_attempts)
            self.sleep(failure.wait)
            if find_existing is not None:
                existing = self.read(f"look for what '{what}' made", find_existing)
                if existing is not None:
                    log.warning("GitHub: %s: found what the unanswered request made; not sending it again", what)
                    return existing
        raise AssertionError("unreachable")

    def _space_writes(self) -> None:
        gap = self._last_write + self.policy.write_spacing - self.clock()
        if gap > 0:
            self.sleep(gap)

    def _classify(self, exc: Exception, attempt: int, rate_waits: int) -> _Failure:
        backoff = self.policy.backoff * 2 ** (attempt - 1)
        if isinstance(exc, GithubException):
            status, headers = exc.status, {k.lower(): v for k, v in (exc.headers or {}).items()}
            text = self.scrub(_describe(exc))
            if status in (403, 429):
                wait = self._rate_limit_wait(status, headers, text, rate_waits)
                if wait is not None:
                    return _Failure(True, wait, False, status, text, rate_limited=True)
                return _Failure(False, 0, False, status, text)
            if status in _TRANSIENT_STATUSES:
                return _Failure(True, backoff, True, status, text)
            return _Failure(False, 0, False, status, text)
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return _Failure(True, backoff, True, None, self.scrub(f"no answer ({type(exc).__name__})"))
        if isinstance(exc, GitHubError):
            return _Failure(False, 0, False, exc.status, self.scrub(str(exc)))
        raise exc  # a bug of ours, not GitHub's: let it surface with its traceback

    def _rate_limit_wait(self, status: int, headers: dict, text: str, rate_waits: int) -> float | None:
        retry_after = headers.get("retry-after")
        if retry_after:
            seconds = _parse_retry_after(retry_after, self.clock())
            if seconds is not None:
                return seconds
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                return max(0.0, float(headers["x-ratelimit-reset"]) - self.clock()) + 1.0
            except ValueError:
                pass
        lowered = text.lower()
        if status == 429 or "rate limit" in lowered or any(p in lowered for p in _SECONDARY_PHRASES):
            return self.policy.secondary_wait * 2 ** rate_waits
        return None  # a plain 403: missing permission, retrying will not help


def _parse_retry_after(value: str, now: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _describe(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = data.get("message") if isinstance(data.get("message"), str) else None
    if not message:
        try:
            message = http.HTTPStatus(exc.status).phrase
        except ValueError:
            message = "error"
    details = [e.get("message") or f"{e.get('field', '')} {e.get('code', '')}".strip()
               for e in data.get("errors") or [] if isinstance(e, dict)]
    details = [d for d in details if d]
    return f"{exc.status} {message}" + (f" ({'; '.join(details)})" if details else "")


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
