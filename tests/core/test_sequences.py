"""Named counters: consecutive, per name, reserved in blocks, never reused."""

from __future__ import annotations

import pytest

from guichet.core.models import Sequence
from guichet.core.sequences import sequence_next

pytestmark = pytest.mark.django_db


def test_first_value_is_one():
    assert sequence_next(name="test") == 1


def test_values_are_consecutive():
    assert [sequence_next(name="test") for _ in range(3)] == [1, 2, 3]


def test_names_are_independent():
    sequence_next(name="a")
    sequence_next(name="a")
    assert sequence_next(name="b") == 1


def test_a_block_reserves_consecutive_values():
    sequence_next(name="bulk")
    first = sequence_next(name="bulk", count=1000)
    assert first == 2
    assert sequence_next(name="bulk") == 1002
    assert Sequence.objects.get(name="bulk").value == 1002


@pytest.mark.parametrize("count", [0, -1])
def test_count_must_be_positive(count):
    with pytest.raises(ValueError, match="positive"):
        sequence_next(name="x", count=count)
