"""A profile spec: the published figures a cohort must meet, with provenance.

A profile lives in ``papers/<source>/profile.toml``. It holds

* ``[[targets]]``: every published figure, each with its document, table or figure, quoted text,
  printed value and precision, population and N;
* ``[[claims]]``: the paper's qualitative comparisons that a cohort can be tested against;
* ``[assumptions]``: everything the generator needs that the sources do not give, each block with
  a ``reason``;
* ``[derived]``: figures computed from published ones (e.g. item denominators implied by the raw
  chart values), each with its method;
* ``[[resolutions]]``: how each finding of the consistency audit is resolved.

The code is in three parts: the model (:mod:`toolkit.profile.model`: :class:`ProfileSpec`,
:class:`Target`, :class:`Claim`, :class:`Resolution` and the vocabulary), the file's tables
declared as pydantic models (:mod:`toolkit.profile.tables`) and the loader
(:mod:`toolkit.profile.load`: :func:`load_profile`). This module gathers their public names,
so ``from toolkit.profile.spec import load_profile, ProfileSpec, Target`` keeps working.
:func:`load_profile` validates the file once and returns a frozen :class:`ProfileSpec`;
nothing downstream re-checks it.
"""

from __future__ import annotations

from toolkit.declared import read_table
from toolkit.profile.load import build_spec, inherit_defaults, load_profile
from toolkit.profile.model import (
    DEFAULT_SOURCE,
    GENERATED_COUNTS,
    LATENTS,
    MEAN_RANGES,
    ROLES,
    STATISTICS,
    TARGET_POPULATIONS,
    Claim,
    ProfileSpec,
    Resolution,
    Target,
    default_profile_path,
)

#: Earlier names, kept for code that imported them.
_build_spec = build_spec
_inherit_defaults = inherit_defaults

__all__ = [
    "DEFAULT_SOURCE",
    "GENERATED_COUNTS",
    "LATENTS",
    "MEAN_RANGES",
    "ROLES",
    "STATISTICS",
    "TARGET_POPULATIONS",
    "Claim",
    "ProfileSpec",
    "Resolution",
    "Target",
    "build_spec",
    "default_profile_path",
    "inherit_defaults",
    "load_profile",
    "read_table",
]
