"""Lesson 8's figures: training curve, kNN label agreement against k, nearest neighbours of
held-out digits in pixel space and in the CNN code, and t-SNE maps of three representations."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from minigrad.viz import PALETTE


def training(history):
    epochs = np.arange(1, len(history['loss']) + 1)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(epochs, history['loss'], color='tab:blue', label='training loss')
    ax.set_xlabel('epoch')
    ax.set_ylabel('cross-entropy (training)', color='tab:blue')
    ax2 = ax.twinx()
    ax2.plot(epochs, history['test_accuracy'], color='tab:orange', label='held-out accuracy')
    ax2.set_ylabel('held-out accuracy', color='tab:orange')
    ax.set_title(f"Training the digit classifier: held-out accuracy {history['test_accuracy'][-1]:.1%}")
    fig.tight_layout()
    return fig


def agreement(curves, ks, k_claim, dims):
    fig, ax = plt.subplots(figsize=(7, 4.4))
    for name, values in curves.items():
        ax.plot(ks, values, marker='o', label=f'{name}, {dims[name]}-D')
    code, pixels = curves['CNN code'][ks.index(k_claim)], curves['pixels'][ks.index(k_claim)]
    ax.axvline(k_claim, color='gray', ls=':', lw=1)
    ax.annotate(f'k = {k_claim}: code {code:.3f}\nvs pixels {pixels:.3f}', (k_claim, pixels),
                xytext=(-130, -40), textcoords='offset points', fontsize=9,
                arrowprops=dict(arrowstyle='->', color='gray'))
    ax.set_xscale('log')
    ax.set_xticks(ks)
    ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel('k (nearest training digits per held-out query)')
    ax.set_ylabel("fraction with the query's label")
    ax.set_title('kNN label agreement: the code keeps a digit\'s cluster together further out')
    ax.legend()
    fig.tight_layout()
    return fig


def neighbours(train, test, shown, same, picks, columns=10):
    """For each query in ``picks``: the query, then its nearest training digits in pixel space and in
    the code as mosaics (closest first, row by row); a neighbour with another label is drawn in red."""
    spaces = list(shown)
    k = shown[spaces[0]].shape[1]
    fig, axes = plt.subplots(len(picks), 1 + len(spaces), figsize=(13, 2.9 * len(picks) + 1.2),
                             layout='constrained', squeeze=False,
                             gridspec_kw={'width_ratios': [0.45] + [1] * len(spaces)})
    for r, q in enumerate(picks):
        axes[r, 0].imshow(test.images[q, 0], cmap='gray_r', vmin=0, vmax=1)
        axes[r, 0].set_title(f'held-out query {q}\n(a {test.labels[q]})', fontsize=9)
        for c, space in enumerate(spaces):
            idx = shown[space][q]
            ax = axes[r, c + 1]
            ax.imshow(mosaic(train.images[idx, 0], train.labels[idx] != test.labels[q], columns))
            ax.set_title(f'{space}: {same[space][q]}/{k} nearest share its label', fontsize=9)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    lead = same['CNN code'] - same['pixels']
    fig.legend(handles=[Patch(fc='black', label="neighbour with the query's label"),
                        Patch(fc='red', label='neighbour with another label')],
               loc='outside lower center', ncol=2, fontsize=9, frameon=False)
    fig.suptitle(f'The {k} nearest training digits of held-out queries, closest first: pixel space vs CNN code\n'
                 f'(code ahead for {(lead > 0).sum()} of {len(lead)} queries, pixels for {(lead < 0).sum()}; '
                 'shown: the queries at ranks 1/8, 3/8, 5/8, 7/8 of the code\'s lead)', fontsize=10)
    return fig


def mosaic(images, wrong, columns):
    """Digits (N, H, W) in a grid of ``columns``, ink black, or red where ``wrong``, on white."""
    n, h, w = images.shape
    rows = -(-n // columns)
    out = np.ones((rows * (h + 1) + 1, columns * (w + 1) + 1, 3))
    for i, (img, bad) in enumerate(zip(images, wrong)):
        y, x = 1 + (i // columns) * (h + 1), 1 + (i % columns) * (w + 1)
        ink = np.clip(img, 0, 1)[..., None]
        colour = np.array([0.85, 0.05, 0.05]) if bad else np.zeros(3)
        out[y:y + h, x:x + w] = (1 - ink) + ink * colour
    return out


def tsne(embeddings, labels, scores):
    fig, axes = plt.subplots(1, len(embeddings), figsize=(5.2 * len(embeddings), 5.4), layout='constrained')
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
    fig.suptitle(f't-SNE of {len(labels)} held-out digits in three representations: the code\'s clusters are '
                 'the tightest (higher silhouette)', fontsize=12)
    return fig
