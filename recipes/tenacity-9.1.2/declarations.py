"""TEN010: what the service declares outside its code (its Python floor): the shared rule of every recipe whose
target raised it (bot.change.python_floor), bound to recipe.toml's python-floor.

(TEN012 listed setup.py/setup.cfg install_requires pins excluding 9.1.2: they are bumped like requirements files
now, by bot.change.apply after the codemod, so it is retired.)"""
from __future__ import annotations

from bot.change.python_floor import python_floor_rule

PythonFloor = python_floor_rule("TEN010", __file__)
