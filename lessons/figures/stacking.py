"""Lesson 1's figure: receptive field and activation memory against depth."""
import numpy as np


def rf_and_memory_figure(depths, rf, layers_needed, reached, strided, empirical, per_layer):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    axes[0].plot(depths, rf, label='3x3 convs, stride 1: 2n+1')
    axes[0].plot(range(1, len(strided) + 1), strided, 'o-', label='3x3 convs, stride 2')
    axes[0].axhline(200, color='gray', ls='--', lw=1)
    axes[0].annotate(f'{layers_needed} layers → {reached} px', (layers_needed, reached),
                     xytext=(35, 260), arrowprops={'arrowstyle': '->'})
    axes[0].scatter(list(empirical), list(empirical.values()), color='k', zorder=3, s=18,
                    label='measured by autograd')
    axes[0].set_xlabel('number of layers n')
    axes[0].set_ylabel('receptive field (pixels)')
    axes[0].set_ylim(0, 320)
    axes[0].set_title('Receptive field grows linearly without downsampling')
    axes[0].legend(loc='lower right')
    layer_counts = np.arange(1, 101)
    gib = per_layer * 20 * layer_counts / 2 ** 30
    axes[1].plot(layer_counts, gib)
    axes[1].axhline(80, color='tab:red', ls=':', label='one 80 GiB GPU')
    axes[1].set_xlabel('number of layers (200 channels, 400x400, batch 20)')
    axes[1].set_ylabel('activation memory (GiB)')
    axes[1].set_title(f'{per_layer / 2 ** 20:.2f} MiB per layer per image → {gib[-1]:.1f} GiB')
    axes[1].legend()
    return fig
