"""Lesson 3 in quick mode: pooling/unpooling, transpose conv, dense layers as 1x1 convs."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l03_down_and_up as lesson  # noqa: E402


def test_l03_down_and_up(run_quick):
    r = run_quick(lesson)
    assert r['fcn_output_on_64'] == [1, 5, 13, 13]
    assert r['overlap_k4'][0] == r['overlap_k4'][1] and r['overlap_k3'][0] < r['overlap_k3'][1]
