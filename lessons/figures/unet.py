"""Lesson 4's figures: held-out predictions of both networks, their training curves and scores,
every panel and line labelled by model."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from minigrad import metrics, viz

COLOURS = {False: 'tab:orange', True: 'tab:blue'}


def predictions(images, truth, preds, class_names, rows, names, bottleneck):
    """Input / encoder-decoder / U-Net / ground truth for the held-out images ``rows``."""
    fig, axes = plt.subplots(len(rows), 4, figsize=(11, 2.9 * len(rows)))
    for r, i in enumerate(rows):
        panels = [(images[i].transpose(1, 2, 0), 'input')]
        for skip in (False, True):
            p = preds[skip][i]
            panels.append((viz.labels_to_rgb(p).transpose(1, 2, 0),
                           f"{names[skip]}\npixel acc. {metrics.pixel_accuracy(p, truth[i]):.2f}, "
                           f"boundary {metrics.boundary_accuracy(p, truth[i]):.2f}"))
        panels.append((viz.labels_to_rgb(truth[i]).transpose(1, 2, 0), 'ground truth'))
        for c, (img, title) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(img, interpolation='nearest')
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(f'held-out image {i}\ny (pixels)', fontsize=9)
            if r == len(rows) - 1:
                ax.set_xlabel('x (pixels)')
    handles = [Patch(color=viz.PALETTE[k], label=name) for k, name in enumerate(class_names)]
    fig.legend(handles=handles, loc='lower center', ncol=len(class_names), frameon=False,
               bbox_to_anchor=(0.5, -0.01))
    fig.suptitle('Missing details: without copies the decoder redraws the shapes from a '
                 f'{bottleneck}x{bottleneck} bottleneck\n'
                 '(argmax of the per-pixel scores; the first held-out images that contain a thin ring)')
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def curves(histories, names):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    for skip, h in histories.items():
        steps, loss = np.array(h['step']), np.array(h['loss'])
        window = max(1, len(loss) // 40)
        smooth = np.convolve(loss, np.ones(window) / window, mode='valid')
        axes[0].plot(steps, loss, color=COLOURS[skip], alpha=0.2, lw=0.7)
        axes[0].plot(steps[window - 1:], smooth, color=COLOURS[skip], label=f'{names[skip]} (training batches)')
        axes[0].plot(h['check_step'], h['val_loss'], 'o--', color=COLOURS[skip], label=f'{names[skip]} (held-out)')
        axes[1].plot(h['check_step'], h['val_miou'], 'o-', color=COLOURS[skip], label=names[skip])
        axes[2].plot(h['check_step'], h['val_boundary'], 'o-', color=COLOURS[skip], label=names[skip])
    axes[0].set_title('cross-entropy loss')
    axes[0].set_ylabel('loss (per pixel)')
    axes[1].set_title('held-out mean IoU')
    axes[1].set_ylabel('mean IoU')
    axes[2].set_title('held-out boundary-band accuracy')
    axes[2].set_ylabel('accuracy within 1 px of an edge')
    for ax in axes:
        ax.set_xlabel('training step')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def scores(scores, per_class, class_names, names):
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.2))
    keys = ['foreground_iou', 'pixel_accuracy', 'mean_iou', 'boundary_accuracy']
    x = np.arange(len(keys))
    for i, skip in enumerate((False, True)):
        bars = axes[0].bar(x + (i - 0.5) * 0.38, [scores[skip][k] for k in keys], 0.38, label=names[skip],
                           color=COLOURS[skip])
        axes[0].bar_label(bars, fmt='%.2f', fontsize=8)
        xc = np.arange(len(class_names))
        bars = axes[1].bar(xc + (i - 0.5) * 0.38, np.nan_to_num(per_class[skip]), 0.38, label=names[skip],
                           color=COLOURS[skip])
        axes[1].bar_label(bars, fmt='%.2f', fontsize=8)
    axes[0].set_xticks(x, ['foreground IoU\n(shapes found)', 'pixel accuracy', 'mean IoU', 'boundary accuracy'])
    gap = {k: scores[True][k] - scores[False][k] for k in keys}
    axes[0].set_title(f"held-out scores: the U-Net's lead is {gap['boundary_accuracy']:+.2f} at boundaries, "
                      f"{gap['pixel_accuracy']:+.2f} over all pixels", fontsize=10)
    axes[1].set_xticks(np.arange(len(class_names)), class_names)
    axes[1].set_title('held-out IoU per class')
    for ax in axes:
        ax.set_ylim(0, 1.1)
        ax.set_ylabel('score')
        ax.legend(fontsize=8, loc='upper right')
    axes[0].set_xlabel('metric')
    axes[1].set_xlabel('class')
    fig.tight_layout()
    return fig
