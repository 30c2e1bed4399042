"""Plain (JSON-able) dumps of what the data-file loaders return, for the refactor check.

``tests/data/loader_golden.json`` is *golden*: the dumps of the shipped release rules, national
model and example sweep spec made by the hand-written loaders (main at 8f07b23, before the
declared pydantic models of issue 24 item 2). ``tests/test_loader_models.py`` checks the declared
loaders give the same objects. Regenerate (only after checking a diff is an intended data
change) with ``cd tests && python loader_snapshot.py > data/loader_golden.json``; this copy was
made with the hand-written loaders (``PYTHONPATH`` at main 162c7dd, before the change).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Mapping


def plain(obj):
    """Dataclasses, mappings, sequences, dates and numbers as JSON values, with their types
    kept (a dataclass's class name, a date tagged, int and float apart, paths relative)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {"__class__": type(obj).__name__}
        out.update({f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)})
        return out
    if isinstance(obj, Mapping):
        return {"__mapping__": type(obj).__name__, **{str(k): plain(v) for k, v in obj.items()}}
    if isinstance(obj, (tuple, list)):
        return {"__seq__": type(obj).__name__, "items": [plain(v) for v in obj]}
    if isinstance(obj, dt.date):
        return {"__date__": obj.isoformat()}
    if isinstance(obj, float) and math.isnan(obj):
        return {"__float__": "nan"}
    if isinstance(obj, str):
        # a shipped file's path, wherever the data files are installed (the checkout's papers/,
        # toolkit/papers in an editable install, site-packages)
        return re.sub(r"^/\S*?/papers/", "<papers>/", obj)
    return obj


def snapshot() -> dict:
    from toolkit.datafiles import paper_file
    from toolkit.national import load_national
    from toolkit.review.policy import load_release_rules
    from toolkit.sweep import scenario
    from toolkit.sweep.spec import load_sweep_spec

    example = paper_file("recall_process_experience", "sweep_example.toml")
    return {
        "release_rules": plain(load_release_rules()),
        "national": plain(load_national()),
        "sweep_example": plain(load_sweep_spec(example)),
        "assumable": plain(dict(scenario.ASSUMABLE)),
    }


if __name__ == "__main__":
    print(json.dumps(snapshot(), indent=1, sort_keys=True))
