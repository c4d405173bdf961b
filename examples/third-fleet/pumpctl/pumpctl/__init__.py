from pumpctl.controller import GatewayBusy, PumpController

__all__ = ["GatewayBusy", "PumpController"]
