"""Ground shared with an existing system, on a uniform synthetic grid (1 km cells, scale 1)."""

import numpy as np
import pytest

from pipeline import overlap


def _row(r, c0, c1):
    return np.array([(r, c) for c in range(c0, c1 + 1)])


INV = np.ones((40, 60))


def test_shared_km_counts_the_steps_with_both_cells_within_the_separation():
    ours, theirs = _row(10, 0, 50), _row(12, 20, 40)
    total, shared = overlap.shared_km([ours], [theirs], INV, cell_km=1.0, separation_km=2.5)
    assert total == pytest.approx(50.0)
    # (10, c) is within 2.5 km of row 12's cells 20..40 for c in 19..41 (√5 ≈ 2.24 at the ends,
    # √8 ≈ 2.83 beyond): the 22 steps between those cells
    assert shared == pytest.approx(22.0)
    # a wider separation reaches one more cell at each end
    assert overlap.shared_km([ours], [theirs], INV, cell_km=1.0, separation_km=2.9)[1] == (
        pytest.approx(24.0)
    )
    # nothing shared beyond the separation, and no existing system shares nothing
    far = _row(30, 0, 50)
    assert overlap.shared_km([far], [theirs], INV, cell_km=1.0, separation_km=2.5)[1] == 0.0
    assert overlap.shared_km([ours], [], INV, cell_km=1.0, separation_km=2.5) == (50.0, 0.0)


def test_a_network_counts_its_ground_once_and_the_origin_area_is_left_out():
    ours, theirs = _row(10, 0, 50), _row(12, 20, 40)
    twice = overlap.shared_km([ours, ours[::-1]], [theirs], INV, cell_km=1.0, separation_km=2.5)
    assert twice == pytest.approx((50.0, 22.0))  # one trench, however many routes use it
    branch = np.array([(10, 30), *[(r, 30) for r in range(11, 20)]])
    total, shared = overlap.shared_km([ours, branch], [theirs], INV, cell_km=1.0, separation_km=2.5)
    assert total == pytest.approx(50.0 + 9.0)
    # the branch crosses row 12 at column 30: its cells in rows 10..14 are within 2.5 km
    assert shared == pytest.approx(22.0 + 4.0)
    clear = overlap.origin_area((10, 0), INV, cell_km=1.0, radius_km=20.5)
    kept = overlap.shared_km([ours], [theirs], INV, cell_km=1.0, separation_km=2.5, clear=clear)
    assert kept[1] == pytest.approx(20.0)  # cells 0..20 are the origin's: steps 21→41 remain


def test_ground_scale_and_diagonal_steps_are_the_router_s_edge_lengths():
    inv = np.full((40, 60), 1.25)
    diag = np.array([(i, i) for i in range(10)])
    total, _ = overlap.shared_km([diag], [], inv, cell_km=2.0, separation_km=1.0)
    assert total == pytest.approx(9 * 2.0 * np.sqrt(2) * 1.25)
