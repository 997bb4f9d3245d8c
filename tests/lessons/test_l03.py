"""Lesson 3 in quick mode: pooling/unpooling, transpose conv, dense layers as 1x1 convs."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l03_down_and_up as lesson  # noqa: E402


def test_l03_down_and_up(run_quick):
    r = run_quick(lesson, seed=2)
    assert r['fcn_output_on_64'] == [1, 5, 13, 13] and r['fcn_output_on_16'] == [2, 5, 1, 1]
    assert r['overlap_k3'] == [1.0, 4.0] and r['overlap_k4'] == [4.0, 4.0]
    assert r['adjoint_lhs'] == pytest.approx(r['adjoint_rhs'], rel=1e-4)
    claims = {c['claim'].split(' (')[0].split(',')[0]: c for c in r['claims']}
    unpool = claims['unpooled values sit exactly where the maxima came from']
    assert unpool['maxima'] == (128 // 4) ** 2 and unpool['nonzero_elsewhere'] == 0
    assert claims['kernel 3']['margin'] == 2.0          # counts 1..4: ratio 4 against the bound 2
    assert all(c['margin'] > 2 for c in r['claims'] if 'decades' in c['claim'])
    assert len(r['slides']) == 4 and r['slides'][0] == 'Now: Unpooling'
