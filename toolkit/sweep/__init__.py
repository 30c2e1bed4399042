"""Policy sweeps: many strategies x assumption draws, Sobol sensitivity, national projection.

``spec`` reads the sweep spec (TOML), ``scenario`` is the one adapter to the review model
(``cache`` keeps what its scenarios share, per worker process),
``run`` runs partitions of scenarios serially or on Dask with checkpoints, ``sensitivity``
computes Sobol indices, tornado swings and the cost-effectiveness frontier, ``projection`` the
monthly stock-flow projection of the recalled population, ``plots`` the figures.
"""

from toolkit.sweep.run import SweepRun, read_results, run_sweep
from toolkit.sweep.spec import SweepSpec, load_sweep_spec

__all__ = ["SweepRun", "SweepSpec", "load_sweep_spec", "read_results", "run_sweep"]
