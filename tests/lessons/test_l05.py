"""Lesson 5 in quick mode: L2 regression against classification over ab bins."""
import pytest

pytest.importorskip('matplotlib')
pytest.importorskip('skimage')

from lessons import l05_colorization as lesson  # noqa: E402


@pytest.mark.slow
def test_l05_colorization_quick(run_quick):
    saved = run_quick(lesson)
    held = saved['held_out']
    reg, cls, truth = held['L2 regression'], held['classification'], held['ground truth']
    assert cls['chroma'] > reg['chroma'] > 0 and truth['chroma'] > 0
    assert saved['chroma_gap_to_truth']['classification'] == pytest.approx(cls['chroma'] - truth['chroma'])
    rmse = saved['ab_rmse_held_out']
    assert 0 < rmse['L2 regression'] < rmse['classification']
    assert saved['bins'] == 261
    lo, hi = saved['weight_range']
    assert 0 < lo < 1 < hi  # rare colours weighted up, common ones down
