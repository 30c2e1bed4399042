"""Source recall_process_experience: published figures as data, and its write-up's report code
and template (``report.py``, ``reproduction.md.j2``)."""
