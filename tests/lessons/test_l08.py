"""Lesson 8 in quick mode: a CNN's last-layer code groups digits (neighbours, t-SNE)."""
import numpy as np
import pytest

pytest.importorskip('matplotlib')
pytest.importorskip('sklearn')

from lessons import l08_embeddings as lesson  # noqa: E402


def test_l08_embeddings_quick(run_quick):
    r = run_quick(lesson, seed=4)
    assert {'tsne_layers.png', 'nearest_neighbours.png', 'knn_label_agreement.png',
            'training.png'} <= set(r['figures'])
    assert r['test_accuracy'] >= 0.9 and r['test_images'] == 359
    agree = r['knn_label_agreement']
    assert agree['CNN code'] >= agree['pixels'] + 0.02
    curves = r['knn_agreement_curves']
    assert curves['CNN code'][curves['k'].index(r['knn_k'])] == agree['CNN code']
    sil = r['tsne_silhouette']
    assert sil['CNN code'] >= sil['early layer (pool1)'] + 0.05
    claims = r['claims']
    assert claims[1]['margin'] == pytest.approx(agree['CNN code'] - agree['pixels'] - 0.02)
    assert claims[2]['margin'] == pytest.approx(sil['CNN code'] - sil['early layer (pool1)'] - 0.05)
    # the neighbour figure's queries follow the stated rule and the code is ahead far more often
    assert len(r['neighbour_queries']) == 4 and r['code_ahead'] > 3 * r['pixels_ahead']


def test_representative_queries_are_evenly_spaced_ranks():
    lead = np.array([5, -1, 0, 2, 3, 1, 0, 4])   # by rank: -1(q1) 0(q2) 0(q6) 1(q5) 2(q3) 3(q4) 4(q7) 5(q0)
    assert lesson.representative_queries(lead) == [2, 5, 4, 0]   # ranks 1, 3, 5, 7 of 8
