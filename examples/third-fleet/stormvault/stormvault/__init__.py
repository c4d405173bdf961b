from stormvault._version import version as __version__
from stormvault.vault import StormVault, storm_warning

__all__ = ["StormVault", "__version__", "storm_warning"]
