"""One protocol for the toolkit's result objects.

Every public result (a fidelity report, an audit, a needs gap, a simulation, a calibration, a
sweep, a fairness audit, a ranked caseload ...) answers the same four questions, as lifelines'
fitters and SciPy's result dataclasses do:

``to_frame()``
    the main table as a pandas DataFrame (a copy the caller may change);
``to_dict()``
    a JSON-ready dict (plain Python types only);
``render()``
    readable plain text for a terminal;
``plot(ax=None)``
    a matplotlib figure of the result, drawn by a function in :mod:`toolkit.report.plots`
    (the result never draws itself: one home for figures), returning the Axes.

:class:`ResultMixin` supplies ``to_dict``, ``render`` and ``plot`` from ``to_frame`` and a
class attribute naming the plotting function, so a result class writes only what is its own.
``tests/test_result_protocol.py`` finds every public class named ``*Result``, ``*Report`` or
``*Run`` in the package and checks it has the four methods.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Protocol, runtime_checkable

__all__ = ["Result", "ResultMixin"]


@runtime_checkable
class Result(Protocol):
    """What every toolkit result offers (see the module docstring)."""

    def to_frame(self) -> Any: ...

    def to_dict(self) -> dict: ...

    def render(self) -> str: ...

    def plot(self, ax: Any = None, **kwargs: Any) -> Any: ...


class ResultMixin:
    """Defaults for :class:`Result` built on the subclass's ``to_frame``.

    Subclasses define ``to_frame`` and set ``_plot`` to the name of a function in
    :mod:`toolkit.report.plots` taking ``(result, ax=None, **kwargs)``; they override ``to_dict``
    or ``render`` only where the defaults (the frame's records; the frame as text) say too little.
    """

    #: name of the function in toolkit.report.plots that draws this result (None: no figure)
    _plot: ClassVar[str | None] = None

    def to_frame(self) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError(f"{type(self).__name__} must define to_frame()")

    def to_dict(self) -> dict:
        """The main table's rows as JSON-ready records (``{"rows": [...]}``)."""
        frame = self.to_frame()
        # pandas' own JSON writer turns numpy scalars, NaN and timestamps into plain types
        return {"rows": json.loads(frame.to_json(orient="records", date_format="iso"))}

    def render(self) -> str:
        """The main table as plain text."""
        return self.to_frame().to_string()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw this result with its function in :mod:`toolkit.report.plots`.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure when omitted.
        **kwargs
            Passed to the plotting function.

        Returns
        -------
        matplotlib Axes
        """
        if self._plot is None:
            raise TypeError(f"{type(self).__name__} has no figure; use to_frame() or render()")
        from toolkit.report import plots  # matplotlib is imported only when a figure is asked

        return getattr(plots, self._plot)(self, ax=ax, **kwargs)
