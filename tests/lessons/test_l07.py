"""Lesson 7 in quick mode: Linear and ReLU warp space; training untangles the spirals gradually."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l07_data_transformers as lesson  # noqa: E402


def test_l07_data_transformers(run_quick):
    r = run_quick(lesson, seed=3)
    assert r['separability_input'] <= 0.75 and r['separability_untrained'] <= 0.75
    assert r['separability_code'] >= 0.9
    snaps = r['separability_at_snapshots']
    assert list(snaps) == [str(s) for s in lesson.SNAPSHOTS]
    # gradual: some snapshot sits well between the untrained and the trained code
    assert any(r['separability_untrained'] + 0.1 < v < r['separability_code'] - 0.05 for v in snaps.values())
    curve = r['separability_curve']
    assert curve['step'][0] == 0 and curve['step'][-1] == lesson.STEPS
    assert r['climb_steps_25_to_90'] >= 50
    by_text = {c['claim'][:20]: c for c in r['claims']}
    assert by_text['a line separates at ']['margin'] == pytest.approx(0.75 - r['separability_input'])
    assert r['loss_last'] < 0.5 * r['loss_first']


def test_climb_steps_counts_from_the_first_measurement_at_each_level():
    curve = {0: 0.5, 10: 0.6, 20: 0.8, 30: 0.95, 40: 1.0}
    # gain 0.5 from 0.5: 25 % of it (0.625) is first reached at step 20, 90 % (0.95) at step 30
    assert lesson.climb_steps(curve, 0.25, 0.9) == 10
