"""Reading the TOML data files under ``papers/`` (shipped as ``toolkit.papers``)."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from toolkit.exceptions import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def paper_file(source: str, name: str) -> Path:
    """Path of a shipped data file, ``papers/<source>/<name>`` (works from a wheel too)."""
    return Path(str(resources.files("toolkit.papers") / source / name))


def read_toml(path: str | Path | None, source: str, name: str) -> tuple[dict, str]:
    """Parse a TOML file, or the shipped ``papers/<source>/<name>`` when ``path`` is None.

    Returns
    -------
    (dict, str)
        The parsed data and the label used in error messages.

    Raises
    ------
    SpecError
        If the file cannot be read or is not valid TOML (naming the file).
    """
    p = Path(path) if path is not None else paper_file(source, name)
    label = str(path) if path is not None else f"<default>/{source}/{name}"
    try:
        return tomllib.loads(p.read_text(encoding="utf-8")), label
    except OSError as exc:
        raise SpecError(label, "(file)", f"cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(label, "(file)", f"is not valid TOML: {exc}") from None


def check_keys(
    table: dict,
    allowed: Iterable[str],
    label: str,
    where: str = "",
    *,
    required: Iterable[str] = (),
) -> None:
    """Refuse unknown (and missing required) keys in one TOML table.

    The data files' tables are declared as pydantic models (:mod:`toolkit.tomlmodel`), which
    refuse unknown keys themselves; this remains for a capacity file's tables and CSV columns,
    so a typo such as ``tolerence = 99`` is an error that names the file, the key and the
    nearest known key, instead of being silently ignored.

    Parameters
    ----------
    table : dict
        The parsed TOML table.
    allowed : iterable of str
        Every key the table may hold.
    label : str
        The file, as it should appear in the message.
    where : str, optional
        Dotted path of the table inside the file (``""`` for the top level).
    required : iterable of str, optional
        Keys that must be present.

    Raises
    ------
    SpecError
        On the first unknown key (with the nearest known key, if any is close) or missing key.

    Examples
    --------
    >>> check_keys({"tolerance": 1}, ["tolerance"], "x.toml")
    >>> check_keys({"tolerence": 1}, ["tolerance"], "x.toml", "calibrated")
    Traceback (most recent call last):
    ...
    toolkit.exceptions.SpecError: x.toml: `calibrated.tolerence` is not a known key \
(did you mean `tolerance`?).
    """
    allowed = list(allowed)
    prefix = f"{where}." if where else ""
    for key in table:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), allowed, n=1)
            hint = (
                f" (did you mean `{near[0]}`?)"
                if near
                else (f" (known keys: {', '.join(sorted(allowed))})" if len(allowed) <= 12 else "")
            )
            raise SpecError(label, f"{prefix}{key}", f"is not a known key{hint}")
    for key in required:
        if key not in table:
            raise SpecError(label, f"{prefix}{key}", "is required but missing")
