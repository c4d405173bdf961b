"""Which Python versions a service says it supports, and checklist items when a new library needs more.

Read from every place projects declare it: `requires-python` in pyproject.toml's [project], Poetry's `python`
dependency, setup.cfg's `python_requires`, setup.py's `python_requires` (a literal, or a module-level string
constant it is built from), and `.python-version`. Pure: service files in, ManualItems out. Used by every recipe
whose target release raised its Python floor (pytest-asyncio 1.x: 3.10; tenacity 9.1: 3.9), through
bot.change.python_floor; the trove classifiers naming a version are bot.declared.classifiers'."""
from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass
from typing import Iterator, Mapping

import tomlkit
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from tomlkit.exceptions import TOMLKitError

from bot.declared.ini_text import IniSection
from bot.model import ManualItem

# The minor versions a floor can exclude; older ones are long unsupported by every library here.
KNOWN_MINORS = ("3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


@dataclass(frozen=True)
class Declaration:
    """One declaration of the Python versions a service supports, and how to change it."""

    file: str
    key: str  # what the checklist names: "requires-python", "python_requires", ...
    line_pattern: str  # regular expression matching the declaring line
    versions: tuple[str, ...]  # the minor versions this declaration admits
    fix: str  # what to write instead
    spec: str = ""  # the range as declared (requires-python, python_requires), for tools that need it


def below_floor(files: Mapping[str, str], floor: str, requirement: str, rule: str) -> list[ManualItem]:
    """One item per declaration admitting a Python older than `floor` ("3.10"); `requirement` names
    what needs it ("pytest-asyncio 1.3.0")."""
    items = []
    for declaration in declarations(files, floor):
        old = [v for v in declaration.versions if Version(v) < Version(floor)]
        if not old:
            continue
        text = files[declaration.file]
        line = _line_of(text, declaration.line_pattern)
        items.append(ManualItem(
            declaration.file, line, text.splitlines()[line - 1].strip(),
            f"{declaration.key} declares Python {', '.join(old)} but {requirement} requires Python >= {floor}: "
            "the new pin cannot install there", rule, declaration.fix))
    return items


def declarations(files: Mapping[str, str], floor: str) -> Iterator[Declaration]:
    if "pyproject.toml" in files:
        yield from _pyproject(files["pyproject.toml"], floor)
    if "setup.cfg" in files:
        yield from _setup_cfg(files["setup.cfg"], floor)
    if "setup.py" in files:
        yield from _setup_py(files["setup.py"], floor)
    if ".python-version" in files:
        yield from _python_version(files[".python-version"], floor)


def _pyproject(text: str, floor: str) -> Iterator[Declaration]:
    try:
        document = tomlkit.parse(text).unwrap()
    except TOMLKitError:
        return
    project = document.get("project") or {}
    if isinstance(project.get("requires-python"), str):
        yield _from_spec("pyproject.toml", "requires-python", project["requires-python"], floor, quoted=True)
    poetry_python = ((document.get("tool") or {}).get("poetry") or {}).get("dependencies", {}).get("python")
    if isinstance(poetry_python, str):
        versions = tuple(v for alternative in poetry_python.split("||")
                         for v in _admitted(_poetry_to_pep440(alternative.strip())))
        yield Declaration("pyproject.toml", "[tool.poetry.dependencies] python", r"^\s*python\s*=", versions,
                          f'python = "^{floor}"')


def _setup_cfg(text: str, floor: str) -> Iterator[Declaration]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    spec = parser.get("options", "python_requires", fallback=None)
    if spec and spec.strip():
        yield _from_spec("setup.cfg", "python_requires", spec.strip(), floor, quoted=False)


def _setup_py(text: str, floor: str) -> Iterator[Declaration]:
    """`setup(python_requires=...)` or a `{'python_requires': ...}` dict handed to setup(); the value may be
    built from module-level string constants (`f">={PYTHON_REQUIRES}"`), as real setup.py files often do."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    constants = {target.id: node.value.value for node in module.body if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                 for target in node.targets if isinstance(target, ast.Name)}
    for node in ast.walk(module):
        values = []
        if isinstance(node, ast.Call):
            values = [(k.value, "python_requires={}") for k in node.keywords if k.arg == "python_requires"]
        elif isinstance(node, ast.Dict):
            values = [(v, '"python_requires": {}') for k, v in zip(node.keys, node.values)
                      if isinstance(k, ast.Constant) and k.value == "python_requires"]
        for value, shape in values:
            spec = _string_value(value, constants)
            if not (spec and spec.strip()):
                continue
            versions = _admitted(spec.strip())
            fixed = _from_spec("setup.py", "python_requires", spec.strip(), floor, quoted=False).fix
            fix = shape.format(f'"{fixed.split(" = ", 1)[1]}"')
            built_from = sorted({n.id for n in ast.walk(value) if isinstance(n, ast.Name) and n.id in constants})
            if built_from:
                fix += f"  # or raise {', '.join(built_from)}, which it is built from"
            source_line = text.splitlines()[value.lineno - 1]
            yield Declaration("setup.py", "python_requires", f"^{re.escape(source_line)}$", versions, fix, spec.strip())


def _string_value(node: ast.expr, constants: Mapping[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = [_string_value(part.value if isinstance(part, ast.FormattedValue) else part, constants)
                 for part in node.values]
        return "".join(parts) if all(p is not None for p in parts) else None
    return None


def _python_version(text: str, floor: str) -> Iterator[Declaration]:
    first = next((line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")), "")
    match = re.match(r"(?:python-|cpython-)?(\d+\.\d+)", first)
    if match:
        yield Declaration(".python-version", ".python-version", re.escape(first), (match.group(1),), floor)


def _from_spec(path: str, key: str, spec: str, floor: str, quoted: bool) -> Declaration:
    versions = _admitted(spec)
    try:
        upper = [str(s) for s in sorted(SpecifierSet(spec), key=str) if s.operator in ("<", "<=", "!=")]
    except InvalidSpecifier:
        upper = []
    fixed = ", ".join([f">={floor}", *upper])
    suggestion = f'{key} = "{fixed}"' if quoted else f"{key} = {fixed}"
    return Declaration(path, key, rf"^\s*{re.escape(key)}\s*=", versions, suggestion, spec)


def admitted_versions(spec: str) -> tuple[str, ...]:
    """The minor versions a requires-python or Poetry python constraint admits ("3.8", "3.9", ...)."""
    return _admitted(_poetry_to_pep440(spec.strip()) if spec.strip()[:1] in "^~*" and not spec.startswith("~=")
                     else spec)


def _admitted(spec: str) -> tuple[str, ...]:
    try:
        allowed = SpecifierSet(spec)
    except InvalidSpecifier:
        return ()
    return tuple(v for v in KNOWN_MINORS if allowed.contains(v, prereleases=True))


def _poetry_to_pep440(constraint: str) -> str:
    """Poetry's ^X.Y and ~X.Y to PEP 440; anything else is already PEP 440 (or unparsable: admits none)."""
    match = re.fullmatch(r"([\^~])\s*(\d+)(?:\.(\d+))?(?:\.\d+)?", constraint)
    if not match:
        if constraint == "*":
            return ">=0"
        if constraint[:1].isdigit():  # a bare version: "3.9" or "3.9.*"
            return f"=={constraint}"
        return re.sub(r"\s+(?=[<>=!~])", ",", constraint)  # ">=3.8 <4" -> ">=3.8,<4"
    caret, major, minor = match.group(1) == "^", int(match.group(2)), int(match.group(3) or 0)
    try:
        Version(f"{major}.{minor}")
    except InvalidVersion:
        return ""
    upper = f"{major + 1}.0" if caret else f"{major}.{minor + 1}"
    return f">={major}.{minor},<{upper}"


def _line_of(text: str, pattern: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line):
            return number
    return 1


@dataclass(frozen=True)
class RaisedFloor:
    """One Python floor raised in pyproject.toml: where, and from what to what."""

    line: int  # 1-based, in pyproject.toml
    key: str  # "requires-python" or "[tool.poetry.dependencies] python"
    old: str
    new: str


def raise_floor(pyproject: str, floor: str) -> tuple[str, list[RaisedFloor]]:
    """pyproject.toml with `requires-python` and Poetry's `python` admitting nothing older than `floor`, each
    written as before (`>=3.8,<4` -> `>=3.9,<4`, `^3.8` -> `^3.9`); the other bytes stay. What a universal
    lock (uv, Poetry) needs when the new version does not install on the old floor. A constraint the bot
    cannot read (`||` alternatives) stays, and is not reported."""
    try:
        document = tomlkit.parse(pyproject)
    except TOMLKitError:
        return pyproject, []
    raised: list[tuple[str, str, str, str]] = []  # (key, pattern, old, new)
    project = document.get("project")
    old = project.get("requires-python") if project is not None else None
    if isinstance(old, str) and any(Version(v) < Version(floor) for v in _admitted(str(old))):
        new = _raised_spec(str(old), floor)
        if new:
            project["requires-python"] = _same_quotes(old, new)
            raised.append(("requires-python", r"^\s*requires-python\s*=", str(old), new))
    dependencies = document.get("tool", {}).get("poetry", {}).get("dependencies")
    old = dependencies.get("python") if dependencies is not None else None
    if isinstance(old, str) and "||" not in old:
        admitted = _admitted(_poetry_to_pep440(str(old).strip()))
        if any(Version(v) < Version(floor) for v in admitted):
            new = _raised_poetry(str(old).strip(), floor)
            if new:
                dependencies["python"] = _same_quotes(old, new)
                raised.append(("[tool.poetry.dependencies] python", r"^\s*python\s*=", str(old), new))
    if not raised:
        return pyproject, []
    return document.as_string(), [RaisedFloor(_line_of(pyproject, pattern), key, old, new)
                                  for key, pattern, old, new in raised]


def _same_quotes(old, new: str):
    from tomlkit.items import String

    return String.from_raw(new, type_=old.type) if isinstance(old, String) else new


def _raised_spec(spec: str, floor: str) -> str | None:
    """`>=3.8` -> `>=3.9`, `>=3.8, <4` -> `>=3.9, <4`, `~=3.8` -> `>=3.9`: the lower bounds become `>=floor`."""
    try:
        clauses = list(SpecifierSet(spec))
    except InvalidSpecifier:
        return None
    kept = [str(c) for c in clauses if c.operator in ("<", "<=", "!=") and Version(c.version.rstrip(".*") or "0")
            >= Version(floor)]
    separator = ", " if ", " in spec else ","
    return separator.join([f">={floor}", *kept])


def _raised_poetry(constraint: str, floor: str) -> str | None:
    if constraint[:1] in "^~" and not constraint.startswith("~="):
        return constraint[0] + floor
    if constraint[:1].isdigit() or constraint == "*":
        return None  # an exact Python, or any: nothing to raise in the same shape
    return _raised_spec(re.sub(r"\s+(?=[<>=!~])", ",", constraint), floor)


def setup_python_requires(files: Mapping[str, str]) -> tuple[str, str] | None:
    """(range, file) of `python_requires` in setup.cfg, else setup.py (literal or built from constants)."""
    for name, read in (("setup.cfg", _setup_cfg), ("setup.py", _setup_py)):
        if name in files:
            found = next((d for d in read(files[name], KNOWN_MINORS[0]) if d.key == "python_requires"), None)
            if found is not None and found.spec:
                return found.spec, name
    return None


def declared_floor(files: Mapping[str, str]) -> str | None:
    """The oldest Python the service declares it runs on ("3.10"): the lowest minor admitted by requires-python,
    Poetry's python, python_requires or .python-version (not classifiers: documentation); None when none says."""
    floors = []
    for declaration in declarations(files, KNOWN_MINORS[0]):
        if declaration.versions:
            floors.append(min(declaration.versions, key=Version))
    return min(floors, key=Version) if floors else None


_TOX_ENV = re.compile(r"\bpy(?:(3)(\d{1,2})\b|(3)?\{([\d,\s]+)\})")


def tox_envs_below(text: str, floor: str) -> tuple[int, list[str]] | None:
    """(line of `envlist`, ["3.8", ...]) when tox.ini's [tox] envlist runs a Python older than `floor` (`py38`,
    `py3{8,9}`, `py{38,39}-django4`): the new pin does not install there, so that env fails; None otherwise.
    Not a declaration of `declarations()`: an env list says where the tests run, not what the package supports."""
    section = IniSection(text, "tox")
    value = section.get("envlist")
    if value is None:
        return None
    versions = []
    for match in _TOX_ENV.finditer(value):
        if match.group(1):
            minors = [match.group(2)]
        else:
            minors = [m.strip() if match.group(3) else m.strip()[1:] for m in match.group(4).split(",")
                      if m.strip() and (match.group(3) or m.strip().startswith("3"))]
        versions += [f"3.{m}" for m in minors if m.isdigit()]
    old = sorted({v for v in versions if Version(v) < Version(floor)}, key=Version)
    return (section.line_of("envlist"), old) if old else None
