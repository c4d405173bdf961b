"""Which modules, classes and functions pytest collects as tests (python_files/classes/functions)."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from fnmatch import fnmatch

from bot.declared.pytest_config import PytestConfig


def _matches_prefix_or_glob(name: str, patterns: tuple[str, ...]) -> bool:
    # Same rule as pytest's PyCollector._matches_prefix_or_glob_option.
    for pattern in patterns:
        if name.startswith(pattern):
            return True
        if any(char in pattern for char in "*?[") and fnmatch(name, pattern):
            return True
    return False


@dataclass(frozen=True)
class Collection:
    """The pytest settings that decide which files, classes and functions are tests."""

    python_files: tuple[str, ...] = ("test_*.py", "*_test.py")
    python_classes: tuple[str, ...] = ("Test",)
    python_functions: tuple[str, ...] = ("test",)

    @classmethod
    def from_config(cls, config: PytestConfig) -> "Collection":
        default = cls()
        return cls(
            tuple(config.get_args("python_files")) or default.python_files,
            tuple(config.get_args("python_classes")) or default.python_classes,
            tuple(config.get_args("python_functions")) or default.python_functions,
        )

    def is_test_module(self, path: str) -> bool:
        name = posixpath.basename(path)
        if name == "conftest.py":
            return False
        return any(fnmatch(path if "/" in pattern else name, pattern) for pattern in self.python_files)

    def is_test_class(self, name: str) -> bool:
        return _matches_prefix_or_glob(name, self.python_classes)

    def is_test_function(self, name: str) -> bool:
        return _matches_prefix_or_glob(name, self.python_functions)
