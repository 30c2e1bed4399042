"""Reading the TOML data files under ``papers/`` (shipped as ``toolkit.papers``)."""

from __future__ import annotations

import sys
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
