"""Builds tiny real wheels so validation tests install packages offline-shaped, without PyPI names."""
from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def build_wheel(directory: Path, name: str, version: str, modules: dict[str, str], *, requires: tuple[str, ...] = (),
                requires_python: str = "", tag: str = "py3-none-any") -> Path:
    """A wheel of package `name` (its import name: dashes become underscores) holding `modules`."""
    directory.mkdir(parents=True, exist_ok=True)
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {f"{module}/{path}": text for path, text in modules.items()}
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += f"Requires-Python: {requires_python}\n" if requires_python else ""
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    files[f"{dist_info}/METADATA"] = metadata
    files[f"{dist_info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: upgrade-bot-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    wheel = directory / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def widgets_wheels(directory: Path) -> Path:
    """widgets 1.4 has old_call and legacy(); 2.0 renames old_call to new_call and drops legacy()."""
    build_wheel(directory, "widgets", "1.4", {"__init__.py": "def old_call(x):\n    return x * 2\n\n\n"
                                                             "def legacy():\n    return 'legacy'\n"})
    build_wheel(directory, "widgets", "2.0", {"__init__.py": "def new_call(x):\n    return x * 2\n"})
    return directory
