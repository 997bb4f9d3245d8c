"""Lessons 4 (encoder–decoder vs U-Net) and 5 (colourization) in quick mode.

Each run trains two small networks (seconds, not minutes), writes its figures and
results.json into a temporary folder, and must support every claim it makes.
"""
import json
import os

import pytest

pytest.importorskip('matplotlib')

import lessons.common  # noqa: E402


@pytest.fixture
def out_root(tmp_path, monkeypatch):
    # lessons.common reads MINIGRAD_LESSONS_OUT once, at import: patch the module's value too.
    monkeypatch.setenv('MINIGRAD_LESSONS_OUT', str(tmp_path))
    monkeypatch.setenv('MINIGRAD_NO_PROGRESS', '1')
    monkeypatch.setattr(lessons.common, 'OUT_ROOT', str(tmp_path))
    return tmp_path


def _check_outputs(folder, returned, figures):
    with open(os.path.join(folder, 'results.json')) as f:
        saved = json.load(f)
    assert saved['quick'] is True
    assert saved['figures'] == figures
    for name in figures:
        path = os.path.join(folder, name)
        assert os.path.getsize(path) > 10_000, name
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert saved['claims'] and all(c['holds'] for c in saved['claims']), saved['claims']
    assert saved['claims'] == returned['claims']
    return saved


@pytest.mark.slow
def test_l04_unet_vs_encoder_decoder_quick(out_root):
    from lessons import l04_unet_vs_encoder_decoder as lesson
    results = lesson.run(quick=True)
    saved = _check_outputs(out_root / 'l04_unet_vs_encoder_decoder', results,
                           ['predictions.png', 'loss_curves.png', 'scores.png'])
    ed, unet = saved['scores']['encoder-decoder'], saved['scores']['U-Net']
    for scores in (ed, unet):
        assert all(0.0 <= v <= 1.0 for v in scores.values())
    # the claims' numbers are the recorded scores
    miou, boundary = saved['claims'][0], saved['claims'][1]
    assert miou['margin'] == pytest.approx(unet['mean_iou'] - ed['mean_iou'])
    assert boundary['margin'] == pytest.approx(unet['boundary_accuracy'] - ed['boundary_accuracy'])
    assert miou['margin'] > 0 and boundary['margin'] > 0
    assert len(saved['iou_per_class']['U-Net']) == len(saved['class_names']) == 5


@pytest.mark.slow
def test_l05_colorization_quick(out_root):
    pytest.importorskip('skimage')
    from lessons import l05_colorization as lesson
    results = lesson.run(quick=True)
    saved = _check_outputs(out_root / 'l05_colorization', results,
                           ['ab_bins_prior_weights.png', 'colorizations.png', 'losses_and_temperature.png'])
    held = saved['held_out']
    reg, cls, truth = held['L2 regression'], held['classification'], held['ground truth']
    assert cls['chroma'] > reg['chroma'] > 0 and truth['chroma'] > 0
    assert saved['chroma_gap_to_truth']['classification'] == pytest.approx(cls['chroma'] - truth['chroma'])
    rmse = saved['ab_rmse_held_out']
    assert 0 < rmse['L2 regression'] < rmse['classification']
    assert saved['bins'] == 261
    lo, hi = saved['weight_range']
    assert 0 < lo < 1 < hi  # rare colours weighted up, common ones down
