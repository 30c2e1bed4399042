"""Regenerate the shipped default review-priority scorer (toolkit/priority/default/).

Re-run after the review model changes (issue 10): `python benchmarks/fit_default_scorer.py`.
Same seed, same files. Prints held-out AUC, Brier score and calibration.
"""

from toolkit.priority.train import main

if __name__ == "__main__":
    raise SystemExit(main())
