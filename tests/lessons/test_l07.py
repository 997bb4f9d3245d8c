"""Lesson 7 in quick mode: Linear and ReLU warp space; training untangles the rings."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l07_data_transformers as lesson  # noqa: E402


def test_l07_data_transformers(run_quick):
    r = run_quick(lesson)
    assert r['separability_code'] > r['separability_input'] + 0.3
    assert r['loss_last'] < r['loss_first']
