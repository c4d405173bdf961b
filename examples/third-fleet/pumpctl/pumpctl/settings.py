"""Tunables, overridden per site through the environment."""
import os

from tenacity import wait_fixed


class Settings:
    attempts = int(os.environ.get("PUMPCTL_ATTEMPTS", "3"))
    retry_wait = wait_fixed(float(os.environ.get("PUMPCTL_RETRY_WAIT", "0.01")))
    backoff_seconds = float(os.environ.get("PUMPCTL_BACKOFF", "0.01"))


SETTINGS = Settings()
