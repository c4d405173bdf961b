from .gateway import MeterGateway, Reading

__all__ = ["MeterGateway", "Reading"]
