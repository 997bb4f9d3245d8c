"""Why not stack convolutions? Receptive field and memory versus depth.

Computed with minigrad.calc and checked against a real network.

Claims tested (lecture: "n 3×3 convs have a receptive field of 2n+1 pixels. How many
convolutions until ≥ 200 pixels? 100"; "200 3x3 filters/layer, H=W=400: 200·400·400·4
bytes = 122MB per layer per image; 100 layers, batch size 20 = 238GB"):
  * the receptive field of n stacked 3×3 convs is 2n+1, so 100 layers reach 201 ≥ 200;
  * one such layer's activations take 122.07 MiB per image (= 128.0 MB: the slide's
    "MB" is the binary MiB), and 100 layers at batch 20 take 238.4 GiB (= 256 GB);
  * the calculator's receptive field is the real one: the gradient of one output pixel
    of a minigrad conv stack reaches exactly 2n+1 input pixels;
  * downsampling (stride 2) grows the receptive field exponentially instead.
"""
import numpy as np

import minigrad as mg
from minigrad import calc, nn
from minigrad.calc.memory import describe, slide_numbers
from lessons.common import Lesson
from lessons.figures.stacking import rf_and_memory_figure


def run(quick=False, seed=0):
    lesson = Lesson('l01_stacking_convolutions', quick, seed)

    lesson.slide('n 3×3 convs have a receptive field of 2n+1 pixels. '
                 'How many convolutions until ≥ 200 pixels? 100')
    depths = np.arange(1, 121)
    rf = [calc.receptive_field(f'conv3x3*{n}').rf for n in depths]
    layers_needed, reached = calc.layers_to_reach(200, 'conv3x3')
    mg.manual_seed(seed)
    empirical = {n: empirical_receptive_field(n) for n in ([2, 5, 10] if quick else [2, 5, 10, 15])}
    strided = [calc.receptive_field(f'conv3x3s2*{n}').rf for n in range(1, 9)]
    lesson.record(rf_100_layers=rf[99], layers_to_reach_200=layers_needed, empirical_rf=empirical,
                  rf_stride2=strided)
    lesson.claim('n 3x3 convs have a receptive field of 2n+1',
                 all(r == 2 * n + 1 for n, r in zip(depths, rf)))
    lesson.claim('100 layers are needed to see 200 pixels', layers_needed == 100 and rf[99] == 201,
                 layers=layers_needed, rf=rf[99])
    lesson.claim('autograd agrees with the calculator: one output pixel\'s gradient touches 2n+1 input pixels',
                 all(v == 2 * n + 1 for n, v in empirical.items()), measured=empirical)
    lesson.claim('stride-2 convs pass 200 pixels after 7 layers', strided[6] >= 200 > strided[5],
                 rf_after_6=strided[5], rf_after_7=strided[6])

    lesson.slide('Suppose 200 3x3 filters/layer, H=W=400. Storage/layer/image: 200 * 400 * 400 * 4 bytes = 122MB. '
                 '100 layers, batch size of 20 = 238GB of memory!')
    per_layer, _ = slide_numbers()
    report = calc.memory('conv3x3c200*100', (20, 200, 400, 400), optimizer='sgd')
    print('  ' + describe(per_layer) + ' per layer per image')
    print('  ' + describe(report.activations) + ' for 100 layers at batch 20')
    lesson.record(bytes_per_layer_per_image=per_layer, mib_per_layer=per_layer / 2 ** 20,
                  bytes_100_layers_batch_20=report.activations, gib_total=report.activations / 2 ** 30)
    lesson.claim("200x400x400x4 bytes is the slide's '122MB' (MiB)", round(per_layer / 2 ** 20, 2) == 122.07,
                 mib=per_layer / 2 ** 20)
    lesson.claim("100 layers at batch 20 is the slide's '238GB' (GiB)",
                 round(report.activations / 2 ** 30, 1) == 238.4, gib=report.activations / 2 ** 30)

    lesson.figure(rf_and_memory_figure(depths, rf, layers_needed, reached, strided, empirical, per_layer),
                  'rf_and_memory_vs_depth.png')
    return lesson.finish()


def empirical_receptive_field(depth, size=41):
    """Width of the input region that one centre output pixel's gradient touches."""
    layers = []
    for _ in range(depth):
        conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
        conv.weight.array[...] = 1.0 / 9      # positive weights: no accidental cancellation
        layers.append(conv)
    net = nn.Sequential(*layers)
    x = mg.zeros(1, 1, size, size, requires_grad=True)
    out = net(x)
    out[0, 0, size // 2, size // 2].backward()
    touched = np.nonzero(mg.tensor(x.grad).numpy()[0, 0].sum(0))[0]
    return int(touched.max() - touched.min() + 1)


if __name__ == '__main__':
    run()
