"""Lessons 1, 2, 3 and 7 in quick mode (outputs written, claims hold) and the runner."""
import json
import os

import pytest

pytest.importorskip('matplotlib')
pytest.importorskip('skimage')

import lessons.common
from lessons import __main__ as runner
from lessons import l01_stacking_convolutions, l02_sliding_windows, l03_down_and_up, l07_data_transformers


def run_quick(module, tmp_path, monkeypatch):
    monkeypatch.setattr(lessons.common, 'OUT_ROOT', str(tmp_path))
    monkeypatch.setenv('MINIGRAD_NO_PROGRESS', '1')
    module.run(quick=True)
    name = module.__name__.split('.')[-1]
    out = tmp_path / name
    results = json.loads((out / 'results.json').read_text())
    assert results['lesson'] == name and results['quick'] is True and results['figures']
    for fig in results['figures']:
        assert (out / fig).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and os.path.getsize(out / fig) > 5000
    assert results['claims'] and all(c['holds'] for c in results['claims'])
    return results


def test_l01_slide_numbers(tmp_path, monkeypatch):
    r = run_quick(l01_stacking_convolutions, tmp_path, monkeypatch)
    assert r['rf_100_layers'] == 201 and r['layers_to_reach_200'] == 100
    assert round(r['mib_per_layer'], 2) == 122.07 and round(r['gib_total'], 1) == 238.4
    assert r['empirical_rf'] == {'2': 5, '5': 11, '10': 21}


def test_l02_windows_equal_dense(tmp_path, monkeypatch):
    r = run_quick(l02_sliding_windows, tmp_path, monkeypatch)
    assert r['max_abs_difference'] < 1e-4
    assert r['interior_coverage'] == r['patch'] ** 2 == 49


def test_l03_down_and_up(tmp_path, monkeypatch):
    r = run_quick(l03_down_and_up, tmp_path, monkeypatch)
    assert r['fcn_output_on_64'] == [1, 5, 13, 13]
    assert r['overlap_k4'][0] == r['overlap_k4'][1] and r['overlap_k3'][0] < r['overlap_k3'][1]


def test_l07_data_transformers(tmp_path, monkeypatch):
    r = run_quick(l07_data_transformers, tmp_path, monkeypatch)
    assert r['separability_code'] > r['separability_input'] + 0.3
    assert r['loss_last'] < r['loss_first']


def test_a_failed_claim_is_reported_after_outputs(tmp_path, monkeypatch):
    monkeypatch.setattr(lessons.common, 'OUT_ROOT', str(tmp_path))
    lesson = lessons.common.Lesson('demo', quick=True)
    lesson.claim('one is two', 1 == 2, one=1)
    with pytest.raises(lessons.common.ClaimFailed, match='one is two'):
        lesson.finish()
    assert json.loads((tmp_path / 'demo' / 'results.json').read_text())['claims'][0]['holds'] is False


def test_runner_lists_every_lesson(capsys):
    assert runner.main(['--list']) == 0
    listed = capsys.readouterr().out
    for n in range(1, 9):
        assert f'l0{n}_' in listed
