import pytest

from numberblocks.blocks import INT4_MAX, aligned_block, first_free_block


def test_aligned_blocks_follow_range_start_and_size():
    assert aligned_block(1000, 1000, 0) == (1000, 1999)
    assert aligned_block(1000, 1000, 1) == (2000, 2999)
    assert aligned_block(500, 100, 3) == (800, 899)


def test_first_block_when_nothing_taken():
    assert first_free_block(1000, 1000, []) == (1000, 1999)


def test_lowest_gap_is_chosen_whatever_the_order_of_taken_blocks():
    taken = [(3000, 3999), (1000, 1999), (5000, 5999)]
    assert first_free_block(1000, 1000, taken) == (2000, 2999)
    assert first_free_block(1000, 1000, taken + [(2000, 2999)]) == (4000, 4999)


def test_blocks_below_range_start_are_ignored():
    assert first_free_block(1000, 1000, [(0, 999), (100, 199)]) == (1000, 1999)


def test_unaligned_block_from_older_options_pushes_to_next_aligned_block():
    # Block 1500–1599 was cut when the size was 100; under size 1000 it spoils 1000–1999 only.
    assert first_free_block(1000, 1000, [(1500, 1599)]) == (2000, 2999)
    # A long old block spanning several new blocks skips all of them.
    assert first_free_block(1000, 500, [(900, 2100)]) == (2500, 2999)


def test_block_touching_candidate_edge_counts_as_overlap():
    assert first_free_block(1000, 1000, [(1999, 1999)]) == (2000, 2999)
    assert first_free_block(1000, 1000, [(2000, 2000)]) == (1000, 1999)


def test_exhausted_range_returns_none():
    size = 2**30
    assert first_free_block(0, size, [(0, size - 1)]) == (size, 2 * size - 1)
    assert first_free_block(0, size, [(0, 2 * size - 1)]) is None
    assert first_free_block(INT4_MAX, 1, []) == (INT4_MAX, INT4_MAX)


def test_invalid_options_are_rejected():
    with pytest.raises(ValueError):
        first_free_block(1000, 0, [])
