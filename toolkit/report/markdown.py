"""Generated reproduction write-ups: ``papers/<source>/reproduction.md`` (the general renderer).

Each source whose folder holds a report module and a template (``papers/<source>/report.py`` and
``reproduction.md.j2``; see :mod:`toolkit.report.sources`) gets a write-up built from what the
code produces at a fixed seed: side-by-side tables, every finding of
the consistency audit with its resolution, and what is not reproduced and why. The output is
deterministic (fixed seed, fixed formatting, no dates), so ``tests/test_report.py`` can fail when
the committed file differs from what ``recall-toolkit report --markdown`` writes.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from toolkit.args import check_int
from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import UsageError
from toolkit.outputs import write_text
from toolkit.report.sources import TEMPLATE, reproduction_sources

#: The sources with a write-up (``papers/<source>/`` holding ``report.py`` and
#: ``reproduction.md.j2``), found by :func:`toolkit.report.sources.reproduction_sources`.
SOURCES: tuple[str, ...] = reproduction_sources()


def _cell(value) -> str:
    """One markdown table cell: pipes escaped, newlines flattened, NaN as a dash."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return " ".join(str(value).split()).replace("|", "\\|")


def markdown_table(df: pd.DataFrame, index: bool = True) -> str:
    """A GitHub-flavoured markdown table from a DataFrame (cells as given; format first).

    >>> print(markdown_table(pd.DataFrame({"a": [1], "b": ["x|y"]}), index=False))
    | a | b |
    | --- | --- |
    | 1 | x\\|y |
    """
    df = df.reset_index() if index else df
    cols = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in df.columns]
    lines = [
        "| " + " | ".join(_cell(c) for c in cols) + " |",
        "| " + " | ".join("---" for _ in cols) + " |",
    ]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def compact(table: pd.DataFrame) -> pd.DataFrame:
    """Fold a :func:`side_by_side` table's (published, synthetic) column pairs into one
    ``"published / synthetic"`` column per population, so a wide table fits a page."""
    if table.empty:
        return table
    pops = list(dict.fromkeys(table.columns.get_level_values(0)))
    out = pd.DataFrame(index=table.index)
    for pop in pops:
        pub, syn = table[(pop, "published")], table[(pop, "synthetic")]
        out[pop] = [f"{p} / {s}" if p else "" for p, s in zip(pub, syn)]
    return out


def fmt_frame(df: pd.DataFrame, decimals: int | dict = 1) -> pd.DataFrame:
    """Format float columns with fixed decimals, thousands separated and NaN as a dash (so
    output never depends on float repr noise); ``decimals`` may map columns to their own.

    >>> fmt_frame(pd.DataFrame({"x": [1234.5, float("nan")]}), 0)["x"].tolist()
    ['1,234', '-']
    """
    out = df.copy()
    for c in out.columns:
        if out[c].dtype.kind == "f":
            d = decimals.get(c, 1) if isinstance(decimals, dict) else decimals
            out[c] = [("-" if np.isnan(v) else f"{v:,.{d}f}") for v in out[c]]
    return out


def _env(folder: Path) -> Environment:
    """The Jinja2 environment of one source's folder (its template and the ``table`` filter)."""
    env = Environment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,  # a missing value is an error, not a blank in the write-up
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # markdown, not HTML
    )
    env.filters["table"] = markdown_table
    return env


def report_module(source: str):
    """The report module of a source (``toolkit.papers.<source>.report``), with its
    ``context(seed) -> dict`` function.

    Raises
    ------
    UsageError
        When the source has no write-up (no report module and template in its folder).
    """
    if source not in SOURCES:
        raise UsageError(
            f"no reproduction write-up for source {source!r}; expected one of " + ", ".join(SOURCES)
        )
    return importlib.import_module(f"toolkit.papers.{source}.report")


def render_reproduction(
    source: str = "recall_process_experience", *, seed: int = DEFAULT_SEED
) -> str:
    """The reproduction write-up of one source, as markdown.

    The source's report module builds the tables (``context(seed)``) and its template
    (``papers/<source>/reproduction.md.j2``) holds the prose; this renders one with the other.

    Parameters
    ----------
    source : str
        A folder of ``papers/`` with a report module and template (see :data:`SOURCES`).
    seed : int
        Seed of the cohort the tables are computed from.

    Returns
    -------
    str

    Examples
    --------
    >>> text = render_reproduction("howard_2009_ogrs3")
    >>> text.splitlines()[4]
    '# Reproducing OGRS3 (Howard et al. 2009)'
    >>> "| 1 | 20 | male | violence | 0 | 20 | 0.121616 | 0.121616 |" in text
    True
    """
    seed = check_int("seed", seed, lo=0)
    module = report_module(source)
    ctx = module.context(seed)
    template = _env(Path(module.__file__).parent).get_template(TEMPLATE)
    return template.render(**ctx, source=source)


def write_text_atomic(text: str, out: str | Path) -> Path:
    """Write ``text`` to ``out`` through the output layer (:func:`toolkit.outputs.write_text`:
    a temporary file renamed into place, mode as the umask gives, OS errors in one line)."""
    write_text(out, text)
    return Path(out)
