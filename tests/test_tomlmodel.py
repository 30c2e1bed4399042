"""toolkit.tomlmodel turns pydantic's errors into SpecError messages a data-file author can act on."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError, model_validator

from toolkit.exceptions import SpecError
from toolkit.tomlmodel import FileModel, parse


class Band(FileModel):
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self


class Table(FileModel):
    tolerance: float = Field(gt=0, le=100)
    bands: list[Band] = []


def test_valid_table_is_returned_frozen():
    t = parse(Table, {"tolerance": 2.5, "bands": [{"low": 1, "high": 2.0}]}, "f.toml")
    assert t.tolerance == 2.5 and t.bands[0].high == 2.0
    with pytest.raises(ValidationError):
        t.tolerance = 3


def test_unknown_key_names_the_nearest_known_one():
    with pytest.raises(
        SpecError, match=r"f\.toml: `x\.tolerence` is not a known key; did you mean `tolerance`\?"
    ):
        parse(Table, {"tolerence": 99}, "f.toml", where="x")


def test_unknown_nested_key_lists_the_nested_models_keys():
    with pytest.raises(
        SpecError, match=r"`bands\[0\]\.middle` is not a known key; known keys: low, high"
    ):
        parse(Table, {"tolerance": 1, "bands": [{"low": 1, "high": 2, "middle": 3}]}, "f.toml")


def test_missing_range_and_cross_field_errors_name_key_and_value():
    with pytest.raises(SpecError, match=r"`tolerance` is required but missing"):
        parse(Table, {}, "f.toml")
    with pytest.raises(
        SpecError, match=r"`tolerance` input should be less than or equal to 100; got 250"
    ):
        parse(Table, {"tolerance": 250}, "f.toml")
    with pytest.raises(SpecError, match=r"`tolerance` input should be a valid number.*got 'a'"):
        parse(Table, {"tolerance": "a"}, "f.toml")
    with pytest.raises(SpecError, match=r"`bands\[0\]` high must be at least low"):
        parse(Table, {"tolerance": 1, "bands": [{"low": 3, "high": 2}]}, "f.toml")
