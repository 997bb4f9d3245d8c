"""Lesson 6 in quick mode: pix2pix, L1 against cGAN + L1, and the PatchGAN's receptive field."""
import pytest

pytest.importorskip('matplotlib')
pytest.importorskip('PIL')

from lessons import l06_pix2pix as lesson  # noqa: E402


def test_l06_pix2pix_quick(run_quick):
    r = run_quick(lesson)
    assert {'patchgan_receptive_field.png', 'facades_samples.png', 'edges2photos_samples.png',
            'facades_patch_maps.png', 'edges2photos_patch_maps.png', 'loss_curves.png',
            'sharpness.png'} <= set(r['figures'])
    # The PatchGAN with n_layers=2 sees 34x34 pixels (4 -> 10 -> 22 -> 34), and the gradient says so.
    assert r['patchgan_receptive_field'] == 34
    assert r['measured_rows'][1] - r['measured_rows'][0] + 1 == 34
    assert r['measured_cols'][1] - r['measured_cols'][0] + 1 == 34
    texts = ' '.join(c['claim'] for c in r['claims'])
    assert 'sharper' in texts and 'blurry' in texts and 'receptive field' in texts
    for task in ('facades', 'edges2photos'):
        assert 0 < r[f'{task}_R_l1'] < 1
        assert r[f'{task}_D_real'] > r[f'{task}_D_fake']
    assert r['edges2photos_R_cgan'] > r['edges2photos_R_l1']
