"""Published figures as data (TOML with provenance), shipped as ``toolkit.papers``."""
