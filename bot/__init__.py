"""upgrade-bot: one reviewable pull request per service and library upgrade."""


def __getattr__(name: str) -> str:
    """`bot.__version__`, read from the installed package's metadata: pyproject.toml's [project] version is
    the only place it is written. Looked up on first use, so worker processes importing bot never pay for it."""
    if name != "__version__":
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("upgrade-bot")
    except PackageNotFoundError:  # a source checkout run through PYTHONPATH, never installed
        return "0+unknown"
