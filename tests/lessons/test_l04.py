"""Lesson 4 in quick mode: U-Net against the encoder-decoder."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l04_unet_vs_encoder_decoder as lesson  # noqa: E402


@pytest.mark.slow
def test_l04_unet_vs_encoder_decoder_quick(run_quick):
    saved = run_quick(lesson)
    assert {'predictions.png', 'loss_curves.png', 'scores.png'} <= set(saved['figures'])
    assert saved['class_names'] == ['background', 'solid shape', 'ring']
    ed, unet = saved['scores']['encoder-decoder'], saved['scores']['U-Net']
    for scores in (ed, unet):
        assert all(0.0 <= v <= 1.0 for v in scores.values())
        assert scores['foreground_iou'] >= 0.3           # both networks predict shapes, not just background
    found, miou, boundary, gaps = saved['claims']
    assert found['margin'] == pytest.approx(min(ed['foreground_iou'], unet['foreground_iou']) - 0.3)
    assert miou['margin'] == pytest.approx(unet['mean_iou'] - ed['mean_iou'] - 0.02)
    assert boundary['margin'] == pytest.approx(unet['boundary_accuracy'] - ed['boundary_accuracy'] - 0.02)
    assert boundary['asserted'] and boundary['margin'] > 0
    assert not miou['asserted']                          # quick mode records it only (docstring)
    assert gaps['asserted'] and gaps['margin'] == pytest.approx(boundary['margin'] + 0.02 - (
        unet['pixel_accuracy'] - ed['pixel_accuracy']))
    assert len(saved['iou_per_class']['U-Net']) == 3 and saved['steps'] == 512


def test_quick_mode_merges_the_solid_shapes():
    assert lesson.QUICK_LABELS.tolist() == [0, 1, 1, 1, 2]
    assert lesson.showcase_rows(__import__('numpy').array([[[0, 1]], [[2, 0]], [[0, 0]]]), ring=2, n=2) == [1, 0]
