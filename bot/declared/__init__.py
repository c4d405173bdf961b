"""Declared: the formats a service declares its dependencies and Python in (requirements files, pyproject,
setup.py/setup.cfg, .python-version): read them, edit them. Pure."""
