"""The PR's sentence when the base did not run an old release of the upgraded package. Pure.

A base that declares the package without a bound (`pytest-asyncio` bare in a setup.py extra) installs the newest
release, so its tests ran the unmigrated code on the new API, not on the old one the PR migrates from; nothing on the
PR said so (postfix-mta-sts-resolver: the base ran pytest-asyncio 1.5.0, the branch pins 1.3.0)."""
from __future__ import annotations

from collections.abc import Mapping

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def base_release_note(package: str, target: str, installed_on_base: Mapping[str, str]) -> str:
    """"" unless the base's installed release of `package` is `target` or newer."""
    wanted = canonicalize_name(package)
    release = next((version for name, version in installed_on_base.items() if canonicalize_name(name) == wanted), "")
    try:
        if not release or Version(release) < Version(target):
            return ""
    except InvalidVersion:
        return ""
    pinned = "above the one" if Version(release) > Version(target) else "the one"
    return (f"The base ran {package} {release} ({pinned} this branch pins), not an older release: what the base "
            f"declares admits it, so its tests show the unmigrated code on the new release, not on the old one.")
