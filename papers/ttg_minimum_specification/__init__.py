"""Source ttg_minimum_specification: published figures as data, and its write-up's report code
and template (``report.py``, ``reproduction.md.j2``)."""
