"""Stage 2 — a synthetic cohort from a profile: exact-marginal construction, OGRS3 risk
scores, the programme attributes behind Table 2, and cohort files with manifests."""

__all__ = ["generate_cohort", "read_cohort", "write_cohort"]

# Imported on first use: the generator pulls in scipy.optimize and scipy.special (about 0.5 s),
# which commands that only write files (toolkit.cohort.io) or read the stored census do not need.
_LAZY = {
    "generate_cohort": "toolkit.cohort.generate",
    "read_cohort": "toolkit.cohort.io",
    "write_cohort": "toolkit.cohort.io",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit.cohort' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
