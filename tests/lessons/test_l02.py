"""Lesson 2 in quick mode: windowed and fully-convolutional predictions agree; the windows cost more."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l02_sliding_windows as lesson  # noqa: E402


def test_l02_windows_equal_dense(run_quick):
    r = run_quick(lesson, seed=1)
    assert r['max_abs_difference'] < 1e-4
    assert r['interior_coverage'] == r['formula_coverage'] == r['patch'] ** 2 == 49
    assert r['macs_ratio'] == pytest.approx(r['macs_sliding'] / r['macs_fully_convolutional'])
    assert r['macs_ratio'] > 10
    identical, coverage, macs, speed = r['claims']
    assert identical['margin'] > 3              # at least 3 decades below the 1e-4 bound
    assert macs['margin'] == pytest.approx(r['macs_ratio'] - 10)
    # the speed claim is the median of the recorded rounds, against its stated bound of 4x
    assert speed['margin'] == pytest.approx(r['speedup'] - 4)
    assert len(speed['speedups']) == 5 and min(speed['speedups']) <= r['speedup'] <= max(speed['speedups'])
    assert r['slides'][0] == 'Crop out every sub-window and predict the label in the middle.'
