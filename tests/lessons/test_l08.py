"""Lesson 8 in quick mode: a CNN's last-layer code groups digits (neighbours, t-SNE)."""
import pytest

pytest.importorskip('matplotlib')
pytest.importorskip('sklearn')

from lessons import l08_embeddings as lesson  # noqa: E402


def test_l08_embeddings_quick(run_quick):
    r = run_quick(lesson)
    assert {'tsne_layers.png', 'nearest_neighbours.png', 'knn_label_agreement.png',
            'training.png'} <= set(r['figures'])
    agree = r['knn_label_agreement']
    assert agree['CNN code'] > agree['pixels']
    sil = r['tsne_silhouette']
    assert sil['CNN code'] > sil['early layer (pool1)']
    assert r['test_accuracy'] >= 0.9
