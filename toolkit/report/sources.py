"""Which sources have a generated reproduction write-up: found, not listed.

A source folder ``papers/<source>/`` (shipped as ``toolkit.papers.<source>``) has a write-up
when it holds a report module ``report.py`` (a ``context(seed) -> dict`` function: the tables
and figures the write-up shows) beside its template ``reproduction.md.j2`` (the prose). The
general renderer, :func:`toolkit.report.markdown.render_reproduction`, finds both here. This
module reads only file names (no pandas), so building the command-line parser stays fast.
"""

from __future__ import annotations

from importlib import resources

#: The report module and template a source folder holds to have a write-up.
REPORT_MODULE = "report.py"
TEMPLATE = "reproduction.md.j2"


def reproduction_sources() -> tuple[str, ...]:
    """The sources with a write-up, sorted: folders of ``toolkit.papers`` holding both
    :data:`REPORT_MODULE` and :data:`TEMPLATE`.

    Examples
    --------
    >>> "howard_2009_ogrs3" in reproduction_sources()
    True
    """
    root = resources.files("toolkit.papers")
    return tuple(
        sorted(
            d.name
            for d in root.iterdir()
            if d.is_dir() and (d / REPORT_MODULE).is_file() and (d / TEMPLATE).is_file()
        )
    )
