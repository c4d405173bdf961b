"""Fully qualified tenacity names the rules recognise (valid on 8.2.3 and 9.1.2 unless noted)."""
from __future__ import annotations

RETRY_DECORATOR = frozenset({"tenacity.retry"})

# Classes whose instances retry: `Retrying(...)`/`AsyncRetrying(...)` keep `.statistics` on 9.x.
RETRYING_CLASSES = frozenset({
    "tenacity.Retrying",
    "tenacity.AsyncRetrying",
    "tenacity._asyncio.AsyncRetrying",
    "tenacity.asyncio.AsyncRetrying",
    "tenacity.TornadoRetrying",
    "tenacity.tornadoweb.TornadoRetrying",
})
RETRYING_BASES = RETRYING_CLASSES | {"tenacity.BaseRetrying", "tenacity._asyncio.BaseRetrying"}

ASYNCIO_MODULE = "tenacity._asyncio"
# Names tenacity/_asyncio.py (8.2.3) defines or re-imports that `tenacity` exports on 8.2.3 and 9.1.2 alike.
# `sleep` is deliberately absent: tenacity._asyncio.sleep is asyncio.sleep, tenacity.sleep is time.sleep.
ASYNCIO_SAFE_NAMES = frozenset({
    "AsyncRetrying", "AttemptManager", "BaseRetrying", "DoAttempt", "DoSleep", "RetryCallState",
})

ISCOROUTINEFUNCTION = "tenacity.iscoroutinefunction"  # re-export of inspect.iscoroutinefunction, gone in 9.x

WAIT_RANDOM_EXPONENTIAL = frozenset({
    "tenacity.wait_random_exponential",
    "tenacity.wait_full_jitter",
    "tenacity.wait.wait_random_exponential",
    "tenacity.wait.wait_full_jitter",
})
WAIT_RANDOM_EXPONENTIAL_MIN_POSITION = 3  # (multiplier, max, exp_base, min)
WAIT_COMBINATORS = frozenset({
    "tenacity.wait_chain", "tenacity.wait_combine", "tenacity.wait.wait_chain", "tenacity.wait.wait_combine",
})

RETRY_ERROR = frozenset({"tenacity.RetryError"})
RESULT_PREDICATES = frozenset({
    "tenacity.retry_if_result", "tenacity.retry_if_not_result",
    "tenacity.retry.retry_if_result", "tenacity.retry.retry_if_not_result",
})
# Keywords whose presence means exhaustion is already handled in a way reraise=True would override or not reach.
EXHAUSTION_KEYWORDS = frozenset({"retry_error_callback", "retry_error_cls"})

# Constructs that run calls of one decorated function concurrently (threads share fn.statistics on 9.x).
CONCURRENCY_MODULES = frozenset({"threading", "concurrent.futures", "multiprocessing.pool", "multiprocessing.dummy"})
CONCURRENCY_CALLS = frozenset({
    "asyncio.gather", "asyncio.create_task", "asyncio.ensure_future", "asyncio.to_thread",
    "asyncio.as_completed", "asyncio.TaskGroup", "asyncio.wait",
})
CONCURRENCY_METHODS = frozenset({"run_in_executor", "create_task", "submit", "start_soon"})
