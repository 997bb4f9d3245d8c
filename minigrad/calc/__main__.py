"""Command line: ``python -m minigrad.calc rf|layers|memory|flops|summary|redundancy ...``.

The slide's numbers, one command each::

    python -m minigrad.calc rf conv3x3*100            # RF 201 after 100 3x3 convs
    python -m minigrad.calc layers 200                # 100 layers of conv3x3 to reach 200
    python -m minigrad.calc memory conv3x3c200 --input 200x400x400 --batch 1   # 122.07 MiB
    python -m minigrad.calc memory conv3x3c200*100 --input 200x400x400 --batch 20  # 238.42 GiB
    python -m minigrad.calc redundancy --patch 5      # (2n-1)^2 = 25 windows per pixel, n = 3
"""
import argparse
import re
import sys

from .layers import MAX_VALUE, SPEC_HELP
from .memory import memory
from .pymodel import DEFAULT_PACKAGES, load_model
from .records import DTYPES
from .table import human_bytes, pair_str


def _ints(text, what, example):
    """'200x400x400' -> (200, 400, 400): positive ints below 2**31, else an argparse error."""
    parts = text.lower().replace(',', 'x').split('x')
    if not all(re.fullmatch(r'\s*[0-9]{1,10}\s*', p) for p in parts) or \
            not all(1 <= int(p) < MAX_VALUE for p in parts):
        raise argparse.ArgumentTypeError(f"{what} must look like {example} (positive ints below 2**31), "
                                         f"got {text!r}")
    return tuple(int(p) for p in parts)


def _shape(text):
    """'200x400x400' (C, H, W) or '20x200x400x400' (N, C, H, W) -> (N, C, H, W)."""
    dims = _ints(text, 'shape', '3x64x64 or 8x3x64x64')
    if len(dims) not in (3, 4):
        raise argparse.ArgumentTypeError(f"shape must be CxHxW or NxCxHxW, got {text!r}")
    return (1,) * (4 - len(dims)) + dims


def _size(text):
    """'64' or '64x48' -> (H, W)."""
    dims = _ints(text, 'size', '64 or 64x48')
    if len(dims) > 2:
        raise argparse.ArgumentTypeError(f"size must be H or HxW, got {text!r}")
    return dims * (3 - len(dims))


def _positive(text):
    if not re.fullmatch(r'\s*[0-9]{1,10}\s*', text) or not 1 <= int(text) < MAX_VALUE:
        raise argparse.ArgumentTypeError(f"must be a positive int below 2**31, got {text!r}")
    return int(text)


def _model(spec, args):
    """A layer spec string as is, or the Module of 'py:package.module:Factory(args)' (see pymodel.py)."""
    if not spec.startswith('py:'):
        return spec
    return load_model(spec, DEFAULT_PACKAGES + tuple(getattr(args, 'allow_module', None) or ()))


def _paths(items):
    """['deep=conv3*2,pool2', ...] -> {'deep': 'conv3*2,pool2', ...}; each NAME once and not empty."""
    paths = {}
    for item in items:
        name, _, spec = item.partition('=')
        if not name.strip() or not spec.strip():
            raise ValueError(f"--path must be NAME=SPEC with a name and a spec, got {item!r}")
        if name in paths:
            raise ValueError(f"--path: the name {name!r} is given twice")
        paths[name] = spec
    return paths


def cmd_rf(args, out):
    from .receptive_field import receptive_field, receptive_field_paths
    if args.path:
        if args.spec:
            raise ValueError("give either a layer SPEC or --path NAME=SPEC, not both")
        print(receptive_field_paths(_paths(args.path)), file=out)
        return
    if not args.spec:
        raise ValueError("give a layer SPEC or --path NAME=SPEC (see --help)")
    model = _model(args.spec, args)
    if hasattr(model, 'receptive_field_paths'):     # a multi-path model (U-Net) knows its paths
        table = receptive_field_paths(model)
        print(table, file=out)
        print(f"receptive field of the whole net: {_rng(table.combined)} pixels", file=out)
        return
    size = args.input
    if not isinstance(model, str):
        if size is None:
            raise ValueError(f"{type(model).__name__} is traced with a real forward pass: give --input H[xW] "
                             f"(and --channels C, default 3)")
        size = (1, args.channels) + tuple(size)
    table = receptive_field(model, size)
    print(table, file=out)
    print(f"receptive field after {len(table)} layers: {_rng(table.final)} pixels", file=out)


def _rng(row):
    rf = pair_str(row.rf_max)
    return rf if row.rf_min == row.rf_max else \
        f"{pair_str(row.rf_min)}..{rf} (smallest..largest over output positions)"


def cmd_layers(args, out):
    from .receptive_field import layers_to_reach
    n, rf = layers_to_reach(args.target, args.layer)
    print(f"{n} layers of {args.layer} reach a receptive field of {rf} >= {args.target} pixels", file=out)


def cmd_memory(args, out):
    model = _model(args.spec, args)
    if args.measure:
        if isinstance(model, str):
            raise ValueError("--measure needs a real model (py:package.module:Factory(args)), not a layer spec")
        from .memory import measure
        report = measure(model, args.input, args.dtype, args.optimizer, args.batch)
    else:
        report = memory(model, args.input, args.dtype, args.optimizer, args.batch)
    n = report.input_shape[0]
    print(report if not args.totals else report.totals(), file=out)
    biggest = max(r.activation for r in report.rows) // n
    print(f"\nlargest layer output, one image: {biggest:,} bytes = {human_bytes(biggest)}", file=out)
    print(f"all {len(report.rows)} layer outputs, batch {n}: {report.activations:,} bytes = "
          f"{human_bytes(report.activations)}", file=out)


def cmd_flops(args, out):
    from .flops import count_flops
    print(count_flops(_model(args.spec, args), args.input, args.dtype), file=out)


def cmd_summary(args, out):
    from .summary import summary
    print(summary(_model(args.spec, args), args.input, args.dtype), file=out)


def cmd_redundancy(args, out):
    from .redundancy import redundancy
    report = redundancy(args.patch, args.image, args.net, args.in_channels, args.centers)
    print(report, file=out)


PY_HELP = """

A model can also be given as py:package.module:Factory(args): a class or function of
minigrad.models (other packages only with --allow-module PKG: importing and calling
them runs their code) that returns a minigrad nn Module; the arguments are Python
literals, never evaluated as code, e.g.  py:minigrad.models:UNet(3,2,depth=2,base_width=8)"""


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--allow-module', action='append', metavar='PKG',
                        help=f"also accept py: models from package PKG (default only {', '.join(DEFAULT_PACKAGES)}); "
                             f"repeatable.  Importing and calling PKG runs its code")
    parser = argparse.ArgumentParser(
        prog='python -m minigrad.calc',
        description="Architecture calculators: receptive field, layers to reach a receptive field, "
                    "memory, FLOPs, model summary, sliding-window redundancy.",
        epilog=SPEC_HELP + PY_HELP + "\nGuide: docs/calc.md",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')

    p = sub.add_parser('rf', parents=[common], help='receptive field after every layer',
                       description="Receptive field, jump and centre of the first output after every layer; "
                                   "exact min..max over output positions through up-sampling layers.",
                       epilog=SPEC_HELP + PY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('spec', nargs='?', help='layer stack, e.g. conv3x3*100 (see below)')
    p.add_argument('--input', type=_size, metavar='H[xW]', help='input size, to print output sizes')
    p.add_argument('--channels', type=_positive, default=3, help='input channels for py: models (default 3)')
    p.add_argument('--path', action='append', metavar='NAME=SPEC',
                   help='one path of a multi-path net (repeat for each; e.g. U-Net skips): prints the '
                        'receptive field through every path and of the whole net')
    p.set_defaults(run=cmd_rf)

    p = sub.add_parser('layers', help='how many layers until the receptive field reaches a target',
                       description="Smallest number of identical layers whose receptive field is >= TARGET.")
    p.add_argument('target', type=_positive, help='receptive field to reach, in pixels (the slide: 200)')
    p.add_argument('--layer', default='conv3x3', help='the repeated layer, a spec item (default conv3x3)')
    p.set_defaults(run=cmd_layers)

    def shaped(name, help_, description):
        q = sub.add_parser(name, parents=[common], help=help_, description=description, epilog=SPEC_HELP + PY_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        q.add_argument('spec', help='layer stack (give channels: conv3x3c64) or py:module:factory(args)')
        q.add_argument('--input', type=_shape, required=True, metavar='[N]xCxHxW',
                       help='input shape, e.g. 200x400x400 or 20x200x400x400')
        q.add_argument('--dtype', default='float32', choices=DTYPES,
                       help='float32 (4 bytes, default), float64 or float16')
        return q

    p = shaped('memory', 'activation / parameter / gradient / optimizer / graph memory',
               "Bytes of every layer's output, the parameters, their gradients, the optimizer state and "
               "what the autograd graph keeps for backward; SI (MB = 10^6 B) and binary (MiB = 2^20 B).")
    p.add_argument('--batch', type=_positive, help='batch size N (overrides the N of --input)')
    p.add_argument('--optimizer', default='adam', choices=['sgd', 'momentum', 'adam'],
                   help='optimizer state: sgd 0x, momentum 1x, adam 2x the parameters (default adam)')
    p.add_argument('--measure', action='store_true',
                   help='py: models only: also run one forward and report minigrad.graph_bytes')
    p.add_argument('--totals', action='store_true', help='print the totals only, not every layer')
    p.set_defaults(run=cmd_memory)

    p = shaped('flops', 'multiply-accumulates per layer', "MACs per layer and in total (FLOPs = 2 x MACs).")
    p.set_defaults(run=cmd_flops)

    p = shaped('summary', 'torchinfo-like table',
               "One row per layer: output shape, parameters, MACs, activation memory, receptive field.")
    p.set_defaults(run=cmd_summary)

    p = sub.add_parser('redundancy', help='cost of labelling pixels by sliding-window crops',
                       description="How many P x P windows cover each pixel (P^2 inside, fewer at the "
                                   "border), counted by formula and by enumerating every window; with --net, "
                                   "the first layer's filterings and the MACs against one fully "
                                   "convolutional pass.", epilog=SPEC_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--patch', type=_positive, required=True, help='window size P (the slide: P = 2n - 1)')
    p.add_argument('--image', type=_size, default=(32, 32), metavar='H[xW]', help='image size (default 32)')
    p.add_argument('--net', help='the per-window network, a layer spec (e.g. conv3x3c16*3)')
    p.add_argument('--in-channels', type=_positive, default=3, help='image channels for --net (default 3)')
    p.add_argument('--centers', choices=['all', 'valid'], default='all',
                   help="'all': a window around every pixel (padded image; default); "
                        "'valid': only windows inside the image")
    p.set_defaults(run=cmd_redundancy)
    return parser


def main(argv=None, out=None):
    """Run the CLI on ``argv`` (default sys.argv[1:]), printing to ``out`` (default stdout).

    Returns 0, or 2 after a one-line ``error: ...`` on stderr for input it refuses (argparse's own
    errors exit with status 2 too).
    """
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        args.run(args, out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
