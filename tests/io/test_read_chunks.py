"""The chunks of an input file: the part a region uses has chunks of its own (hand-computed boundaries)."""

from __future__ import annotations

import pytest

from scsmap.io.read import chunks_around


@pytest.mark.parametrize(
    ("start", "stop", "n", "size", "want"),
    [
        (969, 1053, 4000, 1024, (969, 84, 1024, 1024, 899)),  # a small region deep in a large file: read alone
        (969, 1053, 1100, 1024, (969, 131)),  # 47 pixels left below, under 1024 // 8: they join the region
        (0, 1100, 1100, 1024, (1024, 76)),  # the whole file: regular chunks
        (50, 1050, 1100, 1024, (1024, 76)),  # 50 pixels left out on each side, under 1024 // 8: regular
        (128, 1100, 1100, 1024, (128, 972)),  # exactly 1024 // 8 left out: a chunk of its own
        (3000, 5500, 9000, 1024, (1024, 1024, 952, 1024, 1024, 452, 1024, 1024, 1024, 428)),
        (10, 20, 30, 64, (10, 10, 10)),  # 64 // 8 = 8: 10 pixels on each side are kept apart
        (7, 20, 30, 64, (20, 10)),  # 7 < 8 joins the region's chunks, which start at 0
    ],
)
def test_chunk_boundaries_by_hand(start, stop, n, size, want):
    got = chunks_around(start, stop, n, size)
    assert got == want and sum(got) == n and max(got) <= size
