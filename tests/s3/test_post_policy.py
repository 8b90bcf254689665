"""A browser upload's policy document: any conditions a signer wrote get acceptance or an S3
error, never another exception (a signed policy with a bound that is not a number was a 500)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moto_forge.errors import EntityTooLarge, InvalidPolicyDocument, S3Error
from moto_forge.s3 import post_policy

FIELDS = {"key": "k"}
LATER = "2999-01-01T00:00:00.000Z"


def check(conditions: list[Any], size: int = 5) -> None:
    covering = [["starts-with", "$key", ""], *conditions]
    post_policy.check({"expiration": LATER, "conditions": covering}, FIELDS, "b", size, 0.0)


@pytest.mark.parametrize("bound", ["a", None, [1], {"x": 1}, 1.5e400, True, "1e3"])
def test_a_length_bound_that_is_not_an_integer_is_an_invalid_policy(bound: Any) -> None:
    with pytest.raises(InvalidPolicyDocument):
        check([["content-length-range", 0, bound]])
    with pytest.raises(InvalidPolicyDocument):
        check([["content-length-range", bound, 10]])


def test_a_length_bound_may_be_an_integer_or_its_string() -> None:
    check([["content-length-range", 0, 10]])
    check([["content-length-range", "0", "10"]])
    with pytest.raises(EntityTooLarge):
        check([["content-length-range", "0", "4"]])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=2),
    max_leaves=8,
)
CONDITION = st.one_of(
    JSON,
    st.tuples(st.sampled_from(["content-length-range", "eq", "starts-with", "EQ"]), JSON, JSON).map(list),
    st.tuples(st.sampled_from(["eq", "starts-with"]), st.sampled_from(["$key", "$bucket", "$content-type"]), JSON).map(
        list
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(CONDITION, max_size=4), st.integers(min_value=0, max_value=100))
def test_any_conditions_get_acceptance_or_an_s3_error(conditions: list[Any], size: int) -> None:
    with contextlib.suppress(S3Error):
        check(conditions, size)
