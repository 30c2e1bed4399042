"""One count of published figures, used by every output (issue 20 item 7).

Until issue 20 the outputs counted different things under one name: the demo and its index said
185 (published figures *and* the declared logical relations that were evaluated), fidelity.txt
173 + 12 relations, a figure caption 188 (rows with a synthetic value, relations included) and
report.md 194 (every row of the fidelity table). What is counted, everywhere:

* **published figures**: rows of the fidelity table that are figures printed in a source, i.e.
  every row but the declared logical relations (``statistic == "relation"``, which are rules the
  cohort must obey, not figures anyone published);
* **evaluated**: published figures judged against the cohort (role ``target`` or
  ``approximate``); **met**: evaluated and passed;
* **shown, not evaluated**: the other published figures (context, superseded, unmeetable,
  unreachable at this N...), each with its reason;
* **logical relations**: checked and held, always reported apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from toolkit.fidelity.report import EVALUATED_ROLES


@dataclass(frozen=True)
class FigureCounts:
    """What :func:`figure_counts` counts (see the module docstring for the definitions)."""

    published: int
    evaluated: int
    met: int
    shown: int
    unreachable: int
    relations: int
    relations_held: int

    @property
    def failed(self) -> int:
        return self.evaluated - self.met

    def sentence(self) -> str:
        """The one sentence every output uses, e.g. ``"173 of 173 evaluated published
        figures met (of 182 published; 9 shown, not evaluated); 12 of 12 logical relations
        hold"``."""
        return (
            f"{self.met} of {self.evaluated} evaluated published figures met (of "
            f"{self.published} published; {self.shown} shown, not evaluated); "
            f"{self.relations_held} of {self.relations} logical relations hold"
        )

    def to_dict(self) -> dict:
        return {**asdict(self), "failed": self.failed}


def figure_counts(report) -> FigureCounts:
    """Count the published figures of a fidelity report.

    Parameters
    ----------
    report : FidelityReport
        Anything with a ``targets`` frame holding ``statistic``, ``role`` and ``pass``.

    Returns
    -------
    FigureCounts

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> t = pd.DataFrame({"statistic": ["mean", "share", "count", "relation"],
    ...     "role": ["target", "approximate", "context", "target"],
    ...     "pass": [True, False, None, True]})
    >>> figure_counts(SimpleNamespace(targets=t)).sentence()
    '1 of 2 evaluated published figures met (of 3 published; 1 shown, not evaluated); 1 of 1 logical relations hold'
    """  # noqa: E501
    t = report.targets
    rel = (t["statistic"] == "relation").to_numpy()
    evaluated = t["role"].isin(EVALUATED_ROLES).to_numpy()
    passed = (t["pass"] == True).to_numpy()  # noqa: E712 - object column with None
    pub = ~rel
    return FigureCounts(
        published=int(pub.sum()),
        evaluated=int((pub & evaluated).sum()),
        met=int((pub & evaluated & passed).sum()),
        shown=int((pub & ~evaluated).sum()),
        unreachable=int((pub & (t["role"] == "unreachable").to_numpy()).sum()),
        relations=int((rel & evaluated).sum()),
        relations_held=int((rel & evaluated & passed).sum()),
    )
