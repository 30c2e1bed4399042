"""HTML renderings (Jinja2 templates in ``toolkit/report/templates/``, autoescaped)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("toolkit.report", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_index(*, practitioner_hint: str, **context) -> str:
    """The demo's ``index.html``: what to open first, every file with a one-line caption,
    every figure inline.

    Parameters
    ----------
    practitioner_hint : str
        Trusted HTML (written by the toolkit, not user input) for the practitioners' line.
    **context
        ``files``, ``figures`` (lists of dicts with ``href``, ``title``, ``caption``),
        ``first`` (one such dict), ``cohort_line``, ``command``, ``version``, ``seed``.
    """
    return (
        _env()
        .get_template("index.html.j2")
        .render(practitioner_hint=Markup(practitioner_hint), **context)
    )
