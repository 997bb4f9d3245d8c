"""Lessons 6 (pix2pix) and 8 (embeddings) in quick mode: outputs written, claims hold."""
import json
import os

import pytest

pytest.importorskip('matplotlib')
pytest.importorskip('sklearn')
pytest.importorskip('PIL')

import lessons.common
from lessons import l06_pix2pix, l08_embeddings


def run_quick(module, name, tmp_path, monkeypatch):
    monkeypatch.setattr(lessons.common, 'OUT_ROOT', str(tmp_path))
    monkeypatch.setenv('MINIGRAD_NO_PROGRESS', '1')
    returned = module.run(quick=True)
    out = tmp_path / name
    with open(out / 'results.json') as f:
        results = json.load(f)
    assert results['lesson'] == name and results['quick'] is True
    assert results == json.loads(json.dumps(returned))
    assert results['figures'], 'the lesson wrote no figures'
    for fig in results['figures']:
        path = out / fig
        assert path.exists() and os.path.getsize(path) > 5000, f'{fig} missing or empty'
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert results['claims'], 'the lesson checked no claims'
    for claim in results['claims']:
        assert claim['holds'], claim
    return results


def test_l06_pix2pix_quick(tmp_path, monkeypatch):
    r = run_quick(l06_pix2pix, 'l06_pix2pix', tmp_path, monkeypatch)
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


def test_l08_embeddings_quick(tmp_path, monkeypatch):
    r = run_quick(l08_embeddings, 'l08_embeddings', tmp_path, monkeypatch)
    assert {'tsne_layers.png', 'nearest_neighbours.png', 'knn_label_agreement.png',
            'training.png'} <= set(r['figures'])
    agree = r['knn_label_agreement']
    assert agree['CNN code'] > agree['pixels']
    sil = r['tsne_silhouette']
    assert sil['CNN code'] > sil['early layer (pool1)']
    assert r['test_accuracy'] >= 0.9
