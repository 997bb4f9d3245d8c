"""Lesson 4 in quick mode: U-Net against the encoder-decoder."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l04_unet_vs_encoder_decoder as lesson  # noqa: E402


@pytest.mark.slow
def test_l04_unet_vs_encoder_decoder_quick(run_quick):
    saved = run_quick(lesson)
    assert {'predictions.png', 'loss_curves.png', 'scores.png'} <= set(saved['figures'])
    ed, unet = saved['scores']['encoder-decoder'], saved['scores']['U-Net']
    for scores in (ed, unet):
        assert all(0.0 <= v <= 1.0 for v in scores.values())
    # the claims' numbers are the recorded scores
    miou, boundary = saved['claims'][0], saved['claims'][1]
    assert miou['margin'] == pytest.approx(unet['mean_iou'] - ed['mean_iou'])
    assert boundary['margin'] == pytest.approx(unet['boundary_accuracy'] - ed['boundary_accuracy'])
    assert miou['margin'] > 0 and boundary['margin'] > 0
    assert len(saved['iou_per_class']['U-Net']) == len(saved['class_names']) == 5
