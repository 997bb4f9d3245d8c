"""Embeddings: a CNN's last-layer code groups images by what they show.

A small CNN trained on real handwritten digits; t-SNE of an early layer and of
the last layer (the "CNN code"), and nearest neighbours in code space versus pixel space.

Lecture: "Deep nets are data transformers … each layer is a different representation of
the data; we call these representations embeddings" / "Layer 1 representation vs Layer 6
representation" (t-SNE, van der Maaten & Hinton 2008) / "Can be used as a generic feature
('CNN code' = 4096-D vector before classifier)" / "query image — nearest neighbors in the
'code' space".

Data: scikit-learn's 1797 real 8x8 digit scans (``minigrad.data.Digits``), upsampled to 16x16,
80 % for training and 20 % (359 images) held out.  Every measurement below uses held-out
digits as queries (and for t-SNE); the neighbour database is the training set.

Representations compared:
  * pixels: the 16x16 image as a 256-D vector;
  * early layer: ``pool1``, the first conv + ReLU + max-pool (16 x 8 x 8 = 1024-D);
  * CNN code: ``code``, the ReLU output before the classifier (64-D).

Claims tested:
  * The network learns the task: held-out accuracy >= 95 % (quick: >= 90 %).
  * In the CNN code, nearest neighbours share the query's label more often than in pixel
    space: the fraction of the k = 10 training-set neighbours of each held-out digit that
    carry its label is higher for the code than for the pixels.
  * The code's t-SNE clusters are tighter than the early layer's: the silhouette score of
    the 2-D t-SNE points (with the true labels as clusters) is higher for the code.  The
    leave-one-out 5-NN accuracy in the 2-D map is recorded beside it.

BLAS and OpenMP run on one thread while the lesson runs (threadpoolctl): on this 2-core
machine a second thread made the small GEMMs many times slower whenever the other core was
busy.

Measured (2 CPU cores, NumPy backend, other jobs running): full mode ~25 s (30 epochs; 98.9 %
held-out accuracy; 10-NN agreement code 0.978 vs pixels 0.962; t-SNE silhouette code 0.64 vs
early layer 0.45), quick mode ~15 s (10 epochs).
"""
import time

import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import optim
from minigrad.data import DataLoader, Digits
from minigrad.models import Classifier
from lessons.common import Lesson, one_blas_thread, progress

K = 10  # neighbours per query for the label-agreement claim


def settings(quick):
    if quick:
        return dict(size=16, width=16, epochs=10, batch=32, lr=2e-3)
    return dict(size=16, width=16, epochs=30, batch=32, lr=1e-3)


# ----------------------------------------------------------------------------- training
def train_classifier(train, test, cfg):
    mg.manual_seed(0)
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


# ----------------------------------------------------------------------------- neighbours
def nearest(database, queries, k):
    """Indices (Q, k) of each query's k nearest database rows (Euclidean), closest first."""
    d = (queries ** 2).sum(1)[:, None] - 2 * queries @ database.T + (database ** 2).sum(1)[None]
    idx = np.argpartition(d, k, axis=1)[:, :k]
    order = np.take_along_axis(d, idx, 1).argsort(1)
    return np.take_along_axis(idx, order, 1)


def label_agreement(db_labels, query_labels, idx):
    """Fraction of all (query, neighbour) pairs whose labels agree."""
    return float((db_labels[idx] == query_labels[:, None]).mean())


def neighbours_figure(lesson, train, test, reps, picks, n_show=6):
    import matplotlib.pyplot as plt
    spaces = ['pixels', 'CNN code']
    idx = {s: nearest(reps['train'][s], reps['test'][s][picks], n_show) for s in spaces}
    rows = len(picks) * len(spaces)
    fig, axes = plt.subplots(rows, n_show + 1, figsize=(1.35 * (n_show + 1) + 1.2, 1.45 * rows),
                             layout='constrained')
    for p, q in enumerate(picks):
        for s, space in enumerate(spaces):
            row = axes[p * len(spaces) + s]
            row[0].imshow(test.images[q, 0], cmap='gray_r', vmin=0, vmax=1)
            row[0].set_title(f'query: {test.labels[q]}', fontsize=8)
            row[0].set_ylabel(space, fontsize=8)
            for c, j in enumerate(idx[space][p]):
                ax = row[c + 1]
                ax.imshow(train.images[j, 0], cmap='gray_r', vmin=0, vmax=1)
                ok = train.labels[j] == test.labels[q]
                ax.set_title(f'{train.labels[j]}' + ('' if ok else ' (wrong)'), fontsize=8,
                             color='black' if ok else 'red')
                for spine in ax.spines.values():
                    spine.set_edgecolor('black' if ok else 'red')
                    spine.set_linewidth(1 if ok else 2.5)
            for ax in row:
                ax.set_xticks([])
                ax.set_yticks([])
    fig.suptitle('Nearest training digits of held-out queries: pixel space vs CNN code\n'
                 '(queries: the 2 held-out digits with the most wrong-label neighbours in pixel space, then the '
                 '2 with the most in the code; red = different label)', fontsize=10)
    lesson.figure(fig, 'nearest_neighbours.png')


def agreement_figure(lesson, curves, ks, dims):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, values in curves.items():
        ax.plot(ks, values, marker='o', label=f'{name}, {dims[name]}-D')
    ax.axvline(K, color='gray', ls=':', lw=1)
    ax.set_xscale('log')
    ax.set_xticks(ks)
    ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel('k (neighbours per held-out query)')
    ax.set_ylabel('fraction of neighbours with the query\'s label')
    ax.set_title('kNN label agreement: held-out digits vs the training set')
    ax.legend()
    lesson.figure(fig, 'knn_label_agreement.png')


# ----------------------------------------------------------------------------- t-SNE
def tsne(features, seed=0):
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


def tsne_figure(lesson, embeddings, labels, scores):
    import matplotlib.pyplot as plt
    from minigrad.viz import PALETTE
    fig, axes = plt.subplots(1, len(embeddings), figsize=(5.2 * len(embeddings), 5.2), layout='constrained')
    for ax, (name, pts) in zip(axes, embeddings.items()):
        for d in range(10):
            m = labels == d
            ax.scatter(pts[m, 0], pts[m, 1], s=7, color=PALETTE[d + 1], label=str(d))
            cx, cy = np.median(pts[m], axis=0)
            ax.text(cx, cy, str(d), fontsize=13, weight='bold', ha='center', va='center',
                    bbox=dict(boxstyle='round,pad=0.15', fc='white', alpha=0.7, lw=0))
        sil, acc = scores[name]
        ax.set_title(f'{name}\nsilhouette {sil:.2f}, 5-NN accuracy in 2-D {acc:.1%}', fontsize=10)
        ax.set_xlabel('t-SNE dimension 1')
        ax.set_ylabel('t-SNE dimension 2')
    axes[-1].legend(title='digit', fontsize=8, markerscale=2, loc='center left', bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(f't-SNE of {len(labels)} held-out digits in three representations', fontsize=12)
    lesson.figure(fig, 'tsne_layers.png')


def training_figure(lesson, history):
    import matplotlib.pyplot as plt
    epochs = np.arange(1, len(history['loss']) + 1)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(epochs, history['loss'], color='tab:blue', label='training loss')
    ax.set_xlabel('epoch')
    ax.set_ylabel('cross-entropy (training)', color='tab:blue')
    ax2 = ax.twinx()
    ax2.plot(epochs, history['test_accuracy'], color='tab:orange', label='held-out accuracy')
    ax2.set_ylabel('held-out accuracy', color='tab:orange')
    ax.set_title('Training the digit classifier')
    lesson.figure(fig, 'training.png')


# ----------------------------------------------------------------------------- the lesson
def run(quick=False, seed=0):
    lesson = Lesson('l08_embeddings', quick, seed)
    cfg = settings(quick)
    lesson.record(settings=cfg)
    with one_blas_thread('sklearn.manifold', 'sklearn.metrics'):
        train = Digits('train', size=cfg['size'])
        test = Digits('test', size=cfg['size'])
        t0 = time.perf_counter()
        model, history = train_classifier(train, test, cfg)
        lesson.record(train_seconds=time.perf_counter() - t0, history=history, train_images=len(train),
                      test_images=len(test))
        training_figure(lesson, history)
        acc = history['test_accuracy'][-1]

        reps = {'train': representations(model, train), 'test': representations(model, test)}
        ks = [1, 3, 5, 10, 20, 50]
        curves = {}
        for name in reps['test']:
            idx = nearest(reps['train'][name], reps['test'][name], max(ks))
            curves[name] = [label_agreement(train.labels, test.labels, idx[:, :k]) for k in ks]
        agreement_figure(lesson, curves, ks, {n: r.shape[1] for n, r in reps['test'].items()})
        agree = {name: v[ks.index(K)] for name, v in curves.items()}
        picks = []   # the 2 held-out digits hardest for pixel space, then the 2 hardest for the code
        for space in ('pixels', 'CNN code'):
            idx = nearest(reps['train'][space], reps['test'][space], K)
            wrong = (train.labels[idx] != test.labels[:, None]).sum(1)
            picks += [int(q) for q in np.argsort(-wrong, kind='stable') if q not in picks][:2]
        neighbours_figure(lesson, train, test, reps, picks)

        t0 = time.perf_counter()
        embeddings, scores = {}, {}
        for name in ('pixels', 'early layer (pool1)', 'CNN code'):
            embeddings[name] = tsne(reps['test'][name])
            scores[name] = cluster_scores(embeddings[name], test.labels)
        lesson.record(tsne_seconds=time.perf_counter() - t0)
        tsne_figure(lesson, embeddings, test.labels, scores)

    lesson.record(test_accuracy=acc, knn_k=K, knn_label_agreement=agree,
                  knn_agreement_curves={'k': ks, **curves},
                  tsne_silhouette={n: s[0] for n, s in scores.items()},
                  tsne_5nn_accuracy={n: s[1] for n, s in scores.items()})
    lesson.claim(f'the classifier learns the digits (held-out accuracy >= {0.9 if quick else 0.95:.0%})',
                 acc >= (0.9 if quick else 0.95), accuracy=acc)
    lesson.claim(f'{K} nearest neighbours share the query\'s label more often in the CNN code than in pixels',
                 agree['CNN code'] > agree['pixels'], code=agree['CNN code'], pixels=agree['pixels'],
                 early_layer=agree['early layer (pool1)'])
    sil_code, sil_early = scores['CNN code'][0], scores['early layer (pool1)'][0]
    lesson.claim('t-SNE clusters of the CNN code are tighter than the early layer\'s (2-D silhouette)',
                 sil_code > sil_early, code=sil_code, early_layer=sil_early,
                 knn2d_code=scores['CNN code'][1], knn2d_early=scores['early layer (pool1)'][1])
    return lesson.finish()


if __name__ == '__main__':
    run()
