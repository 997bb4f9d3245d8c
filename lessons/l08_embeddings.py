"""Embeddings: a CNN's last-layer code groups images by what they show.

A small CNN trained on real handwritten digits; t-SNE of an early layer and of
the last layer (the "CNN code"), and nearest neighbours in code space versus pixel space.

Data: scikit-learn's 1797 real 8x8 digit scans (``minigrad.data.Digits``), upsampled to 16x16,
80 % for training and 20 % (359 images) held out.  Every measurement below uses held-out
digits as queries (and for t-SNE); the neighbour database is the training set (about 144
images per digit).

Representations compared:
  * pixels: the 16x16 image as a 256-D vector;
  * early layer: ``pool1``, the first conv + ReLU + max-pool (16 x 8 x 8 = 1024-D);
  * CNN code: ``code``, the ReLU output before the classifier (64-D).

Claims tested:
  * The network learns the task: held-out accuracy >= 90 %.
  * In the CNN code, a query's nearest training digits share its label more often than in
    pixel space: of its k = 50 nearest (about a third of its digit's training images, so
    this measures how far a digit's cluster holds together), the fraction with the query's
    label is at least 0.02 higher in the code.  (At k = 10 both spaces are near 96 %: the
    digits' very nearest pixel neighbours are already good; the agreement-vs-k curve is drawn.)
  * The code's t-SNE clusters are tighter than the early layer's: the silhouette score of
    the 2-D t-SNE points (with the true labels as clusters) is at least 0.05 higher.  The
    leave-one-out 5-NN accuracy in the 2-D map is recorded beside it.
Quick mode trains 10 epochs instead of 30 and asserts the same claims.

``seed`` draws the train/held-out split, the initial weights, the batch order and t-SNE's
initialisation.  BLAS and OpenMP run on one thread (``one_blas_thread``): the GEMMs are small.
"""
import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import optim
from minigrad.data import DataLoader, Digits
from minigrad.models import Classifier
from lessons.common import Lesson, one_blas_thread, progress
from lessons.figures import embeddings as figures

K = 50                     # neighbours per query for the label-agreement claim
KS = [1, 3, 5, 10, 20, 50, 100]
SPACES = ('pixels', 'early layer (pool1)', 'CNN code')


def settings(quick):
    if quick:
        return dict(size=16, width=16, epochs=10, batch=32, lr=2e-3)
    return dict(size=16, width=16, epochs=30, batch=32, lr=1e-3)


def run(quick=False, seed=0):
    lesson = Lesson('l08_embeddings', quick, seed)
    cfg = settings(quick)
    lesson.record(settings=cfg)
    with one_blas_thread('sklearn.manifold', 'sklearn.metrics'):
        lesson.slide('Deep nets transform datapoints, layer by layer. Each layer is a different '
                     'representation of the data. We call these representations embeddings')
        train = Digits('train', size=cfg['size'], seed=seed)
        test = Digits('test', size=cfg['size'], seed=seed)
        model, history = train_classifier(train, test, cfg, seed)
        acc = history['test_accuracy'][-1]
        lesson.record(history=history, train_images=len(train), test_images=len(test), test_accuracy=acc)
        lesson.claim('the classifier learns the digits (held-out accuracy >= 90%)', margin=acc - 0.9,
                     accuracy=acc)
        lesson.figure(figures.training(history), 'training.png')

        lesson.slide('Can be used as a generic feature (“CNN code” = 4096-D vector before classifier)')
        reps = {'train': representations(model, train), 'test': representations(model, test)}
        neighbours = {name: nearest(reps['train'][name], reps['test'][name], max(KS)) for name in SPACES}
        curves = {name: [label_agreement(train.labels, test.labels, neighbours[name][:, :k]) for k in KS]
                  for name in SPACES}
        agree = {name: v[KS.index(K)] for name, v in curves.items()}
        lesson.record(knn_k=K, knn_label_agreement=agree, knn_agreement_curves={'k': KS, **curves})
        lesson.claim(f'of the {K} nearest training digits, at least 0.02 more share the query\'s label '
                     'in the CNN code than in pixels', margin=agree['CNN code'] - agree['pixels'] - 0.02,
                     code=agree['CNN code'], pixels=agree['pixels'], early_layer=agree['early layer (pool1)'])
        lesson.figure(figures.agreement(curves, KS, K, {n: r.shape[1] for n, r in reps['test'].items()}),
                      'knn_label_agreement.png')

        lesson.slide('query image — nearest neighbors in the “code” space')
        shown = {s: neighbours[s][:, :K] for s in ('pixels', 'CNN code')}
        same = {s: (train.labels[idx] == test.labels[:, None]).sum(1) for s, idx in shown.items()}
        picks = representative_queries(same['CNN code'] - same['pixels'])
        lesson.record(neighbour_queries=picks,
                      code_ahead=int((same['CNN code'] > same['pixels']).sum()),
                      pixels_ahead=int((same['CNN code'] < same['pixels']).sum()))
        lesson.figure(figures.neighbours(train, test, shown, same, picks), 'nearest_neighbours.png')

        lesson.slide('Layer 1 representation vs Layer 6 representation (t-SNE, van der Maaten & Hinton, 2008)')
        embeddings, scores = {}, {}
        for name in progress(SPACES, f't-SNE of {len(test)} held-out digits in 3 representations'):
            embeddings[name] = tsne(reps['test'][name], seed)
            scores[name] = cluster_scores(embeddings[name], test.labels)
        lesson.record(tsne_silhouette={n: s[0] for n, s in scores.items()},
                      tsne_5nn_accuracy={n: s[1] for n, s in scores.items()})
        sil_code, sil_early = scores['CNN code'][0], scores['early layer (pool1)'][0]
        lesson.claim('t-SNE clusters of the CNN code are tighter than the early layer\'s: 2-D silhouette higher '
                     'by at least 0.05', margin=sil_code - sil_early - 0.05, code=sil_code, early_layer=sil_early,
                     knn2d_code=scores['CNN code'][1], knn2d_early=scores['early layer (pool1)'][1])
        lesson.figure(figures.tsne(embeddings, test.labels, scores), 'tsne_layers.png')
    return lesson.finish()


def train_classifier(train, test, cfg, seed):
    mg.manual_seed(seed)   # initial weights and the loader's batch order
    model = Classifier(in_channels=1, num_classes=10, width=cfg['width'], input_size=cfg['size'])
    opt = optim.Adam(model.parameters(), lr=cfg['lr'])
    loader = DataLoader(train, batch_size=cfg['batch'], shuffle=True)
    history = {'loss': [], 'test_accuracy': []}
    for _ in progress(range(cfg['epochs']), 'training the digit classifier'):
        model.train()
        losses = []
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        history['loss'].append(float(np.mean(losses)))
        history['test_accuracy'].append(accuracy(model, test))
    return model, history


def accuracy(model, ds):
    model.eval()
    with mg.no_grad():
        pred = model(mg.tensor(np.asarray(ds.images))).numpy().argmax(1)
    return float((pred == ds.labels).mean())


def representations(model, ds):
    """{'pixels', 'early layer (pool1)', 'CNN code'}: one row per image (eval mode, no graph)."""
    model.eval()
    with mg.no_grad():
        feats = model.features(mg.tensor(np.asarray(ds.images)), ['pool1', 'code'])
    n = len(ds)
    return {'pixels': np.asarray(ds.images).reshape(n, -1),
            'early layer (pool1)': feats['pool1'].numpy().reshape(n, -1),
            'CNN code': feats['code'].numpy().reshape(n, -1)}


def nearest(database, queries, k):
    """Indices (Q, k) of each query's k nearest database rows (Euclidean), closest first."""
    d = (queries ** 2).sum(1)[:, None] - 2 * queries @ database.T + (database ** 2).sum(1)[None]
    idx = np.argpartition(d, k, axis=1)[:, :k]
    order = np.take_along_axis(d, idx, 1).argsort(1)
    return np.take_along_axis(idx, order, 1)


def label_agreement(db_labels, query_labels, idx):
    """Fraction of all (query, neighbour) pairs whose labels agree."""
    return float((db_labels[idx] == query_labels[:, None]).mean())


def representative_queries(lead, n=4):
    """Queries for the neighbour figure, by a fixed rule: the held-out digits at evenly spaced
    ranks (1/8, 3/8, 5/8, 7/8) of ``lead`` (code minus pixel count of same-label neighbours),
    so the figure shows the typical case and the spread, not the best for either side."""
    ranked = np.argsort(lead, kind='stable')
    at = ((np.arange(n) + 0.5) / n * len(ranked)).astype(int)
    return [int(q) for q in ranked[at]]


def tsne(features, seed):
    from sklearn.manifold import TSNE
    return TSNE(n_components=2, perplexity=30, init='pca', random_state=seed).fit_transform(
        features.astype(np.float64))


def cluster_scores(points, labels):
    """(silhouette score, leave-one-out 5-NN accuracy) of labelled 2-D points."""
    from sklearn.metrics import silhouette_score
    idx = nearest(points, points, 6)[:, 1:]          # drop the point itself
    votes = labels[idx]
    pred = np.array([np.bincount(v, minlength=10).argmax() for v in votes])
    return float(silhouette_score(points, labels)), float((pred == labels).mean())


if __name__ == '__main__':
    run()
