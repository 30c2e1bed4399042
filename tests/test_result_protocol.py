"""Every public result class offers to_frame, to_dict, render and plot(ax=) (toolkit.results)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import toolkit

#: result classes not yet converted; each conversion removes its name (the test below fails when
#: a listed class already conforms, so the list cannot go stale)
PENDING: set[str] = set()


def _result_classes() -> dict[str, type]:
    found = {}
    for info in pkgutil.walk_packages(toolkit.__path__, "toolkit."):
        if info.name.startswith("toolkit.cli"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and name.endswith(("Result", "Report", "Run"))
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


CLASSES = _result_classes()


def test_the_search_finds_the_known_results():
    names = {k.rsplit(".", 1)[1] for k in CLASSES}
    assert {"FidelityReport", "SimulationResult", "CalibrationResult"} <= names


@pytest.mark.parametrize("qualname", sorted(CLASSES))
def test_result_offers_the_protocol(qualname):
    cls = CLASSES[qualname]
    missing = [
        m for m in ("to_frame", "to_dict", "render", "plot") if not callable(getattr(cls, m, None))
    ]
    if qualname in PENDING:
        assert missing, f"{qualname} now conforms: remove it from PENDING"
        pytest.xfail(f"{qualname} lacks {missing} (listed as pending)")
    assert not missing, f"{qualname} lacks {missing}"
    plot = inspect.signature(cls.plot)
    assert "ax" in plot.parameters, f"{qualname}.plot must take ax="
