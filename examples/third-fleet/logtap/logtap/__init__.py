from logtap._version import __version__
from logtap.shipper import LogShipper, make_shipper, to_point

__all__ = ["LogShipper", "__version__", "make_shipper", "to_point"]
