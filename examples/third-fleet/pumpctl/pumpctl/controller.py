from tenacity import retry, retry_if_exception_type, stop_after_attempt

from pumpctl import metrics
from pumpctl.settings import SETTINGS


class GatewayBusy(Exception):
    """The gateway is serving another controller; try again shortly."""


def _recorded_backoff(retry_state):
    metrics.BACKOFFS.append(retry_state.attempt_number)
    return SETTINGS.backoff_seconds


class PumpController:
    def __init__(self, gateway):
        self.gateway = gateway

    @retry(
        stop=stop_after_attempt(SETTINGS.attempts),
        wait=SETTINGS.retry_wait,
        retry=retry_if_exception_type(GatewayBusy),
        reraise=True,
    )
    def start(self, pump_id):
        return self.gateway.send(pump_id, "start")

    @retry(
        stop=stop_after_attempt(3),
        wait=_recorded_backoff,
        retry=retry_if_exception_type(GatewayBusy),
        reraise=True,
    )
    def stop(self, pump_id):
        return self.gateway.send(pump_id, "stop")

    def start_attempts(self):
        return self.start.retry.statistics["attempt_number"]
