"""Lesson 2 in quick mode: windowed and fully-convolutional predictions agree."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l02_sliding_windows as lesson  # noqa: E402


def test_l02_windows_equal_dense(run_quick):
    r = run_quick(lesson)
    assert r['max_abs_difference'] < 1e-4
    assert r['interior_coverage'] == r['patch'] ** 2 == 49
