"""Source howard_2009_ogrs3: published figures as data, and its write-up's report code
and template (``report.py``, ``reproduction.md.j2``)."""
