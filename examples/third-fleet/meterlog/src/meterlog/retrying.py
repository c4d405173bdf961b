"""How hard a write is retried. Kept as data so deployments can tune it without touching the sink."""
from __future__ import annotations

from typing import NamedTuple

from tenacity import wait_exponential
from tenacity.wait import wait_base


class RetryPolicy(NamedTuple):
    attempts: int
    wait: wait_base


# The network between the meters' gateway and InfluxDB drops connections now and then; a few quick
# retries hide that from the caller.
DEFAULT_POLICY = RetryPolicy(attempts=4, wait=wait_exponential(multiplier=0.01, max=0.05))
