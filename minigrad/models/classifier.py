"""A small image classifier, its "CNN code", and the same network made fully convolutional.

The lecture's two pictures of a classifier::

    convnet that maps images to vectors (input_size=8, width=w):

    (C,8,8) ─conv3x3 w─ReLU─pool2─ (w,4,4) ─conv3x3 2w─ReLU─pool2─ (2w,2,2) ─flatten─ 8w
            ─fc 4w─ReLU─▶ "CNN code" (4w) ─fc─▶ class scores (num_classes)

    convnet that maps images to images (as_fully_convolutional()):

    (C,H,W) ─ same convs and pools ─ (2w,H/4,W/4) ─conv2x2 4w─ReLU─conv1x1─▶ scores (num_classes, H/4−1, W/4−1)

A dense layer that reads an s x s map is a convolution with an s x s kernel
(``fc1`` here), and a dense layer on a vector is a 1x1 convolution (``fc2``).
On the original size the rewritten net gives exactly the same numbers as a
(num_classes, 1, 1) map; on a bigger input it slides the classifier over the
image and gives a map of scores, one per window, for the price of one pass.

The activations after ``fc1``'s ReLU (``layer='code'``) are the embedding the
lecture calls the CNN code (DeCAF's 4096-D vector, here 4w-D): nearest
neighbours and t-SNE plots use them.  :meth:`Classifier.features` returns any
named intermediate representation, caught with a forward hook.
"""
import copy

from .. import nn

#: Friendly names for intermediate representations -> the module whose output it is.
ALIASES = {'code': 'relu3', 'logits': 'fc2', 'scores': 'fc2'}


class Classifier(nn.Module):
    """``(N, in_channels, input_size, input_size) -> (N, num_classes)`` class scores (logits).

    ``input_size`` must be divisible by 4 (two 2x2 poolings); it fixes the
    size of ``fc1``.  Submodules, in forward order: conv1 relu1 pool1 conv2
    relu2 pool2 flatten fc1 relu3 fc2.
    """

    def __init__(self, in_channels=1, num_classes=10, width=16, input_size=8):
        super().__init__()
        if input_size % 4 or input_size < 4:
            raise ValueError(f"Classifier: input_size must be a positive multiple of 4, got {input_size}")
        self.input_size = input_size
        s = input_size // 4
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(2 * width * s * s, 4 * width)
        self.relu3 = nn.ReLU()                     # its output is the "CNN code"
        self.fc2 = nn.Linear(4 * width, num_classes)

    def forward(self, x):
        if x.ndim != 4 or tuple(x.shape[-2:]) != (self.input_size, self.input_size):
            raise ValueError(f"Classifier: expected (N, C, {self.input_size}, {self.input_size}), got "
                             f"{tuple(x.shape)}; for other sizes use as_fully_convolutional()")
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        code = self.relu3(self.fc1(self.flatten(x)))
        return self.fc2(code)

    def features(self, x, layer='code'):
        """The output of the submodule ``layer`` (a name, an alias from :data:`ALIASES`, or a
        list of them -> a dict) when ``x`` goes through the network.

        Runs the whole forward pass with a temporary forward hook on each asked
        layer, so it sees exactly what ``forward`` computes (in the current
        train/eval mode and grad mode).
        """
        names = [layer] if isinstance(layer, str) else list(layer)
        caught, handles = {}, []
        try:
            for name in names:
                module = getattr(self, ALIASES.get(name, name), None)
                if not isinstance(module, nn.Module) or module is self:
                    known = [n for n, _ in self.named_children()] + list(ALIASES)
                    raise ValueError(f"Classifier.features: no layer {name!r}; choose from {known}")
                handles.append(module.register_forward_hook(
                    lambda mod, inputs, output, name=name: caught.__setitem__(name, output)))
            self(x)
        finally:
            for h in handles:
                h.remove()
        return caught[layer] if isinstance(layer, str) else caught

    def embed(self, x):
        """The CNN code (N, 4·width) of a batch: ``features(x, 'code')``."""
        return self.features(x, 'code')

    def as_fully_convolutional(self):
        """A new :class:`FullyConvClassifier` with this network's weights (copied), dense layers as convs."""
        return FullyConvClassifier(self)


class FullyConvClassifier(nn.Module):
    """The classifier with ``fc1`` as an s x s conv (s = input_size / 4) and ``fc2`` as a 1x1 conv.

    ``(N, C, H, W) -> (N, num_classes, H/4 − s + 1, W/4 − s + 1)``; on the
    original size that is (N, num_classes, 1, 1) and equals the classifier's output.
    """

    def __init__(self, classifier):
        super().__init__()
        s = classifier.input_size // 4
        for name in ('conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2'):
            setattr(self, name, copy.deepcopy(getattr(classifier, name)))
        fc1, fc2 = classifier.fc1, classifier.fc2
        c_in = fc1.in_features // (s * s)
        self.fc1 = nn.Conv2d(c_in, fc1.out_features, s)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Conv2d(fc2.in_features, fc2.out_features, 1)
        # Flatten ordered the features (channel, row, column): the same order as a conv kernel.
        self.fc1.weight.array = fc1.weight.array.reshape(fc1.out_features, c_in, s, s).copy()
        self.fc2.weight.array = fc2.weight.array.reshape(fc2.out_features, fc2.in_features, 1, 1).copy()
        self.fc1.bias.array = fc1.bias.array.copy()
        self.fc2.bias.array = fc2.bias.array.copy()

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.fc2(self.relu3(self.fc1(x)))
