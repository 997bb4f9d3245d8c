"""Reading one image file into a float array, with errors that name the file.

:func:`read_rgb` gives ``(3, H, W)`` float32 in **[0, 1]** for every image mode a PNG or JPEG
can hold, each scaled by its own bit depth (Pillow's mode names):

==============================  ==============================================================
``1``                           black / white -> 0 / 1
``L``, ``P``, ``RGB``, ``CMYK``  8 bits per channel: v / 255 (palette and CMYK via Pillow's RGB)
``LA``, ``PA``, ``RGBA``        as above; the alpha channel is dropped
``I;16`` (and ``I;16B/L/N``)    16-bit greyscale: v / 65535 (not clipped at 255)
``I``                           32-bit ints, as Pillow reads a 16-bit PNG: v / 65535, values
                                outside 0..65535 are an error
==============================  ==============================================================

Grey images are repeated on the three channels.  Pillow reads 16-bit *colour* PNGs as 8-bit
RGB, so their low byte is lost before we see it.  Every failure -- a missing, truncated or
corrupt file, Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``), a mode
outside this table -- is a ValueError that names the file.
"""
import numpy

LESSONS_HINT = "install the lessons extra: pip install -e '.[lessons]'"
EIGHT_BIT = ('1', 'L', 'P', 'RGB', 'CMYK', 'YCbCr', 'LA', 'PA', 'RGBA', 'RGBX', 'La', 'RGBa')
SIXTEEN_BIT = ('I;16', 'I;16B', 'I;16L', 'I;16N', 'I')


def pil(who):
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(f"{who} needs Pillow to read images; {LESSONS_HINT}") from exc
    return Image


def _open(path, who):
    """Pillow's Image for ``path`` (header read), or ValueError naming the file."""
    Image = pil(who)
    try:
        return Image.open(path)
    except Image.DecompressionBombError as err:
        raise ValueError(f"{who}: {path} is too large to decode safely ({err}); raise "
                         f"PIL.Image.MAX_IMAGE_PIXELS if you trust it") from None
    except (OSError, SyntaxError, ValueError) as err:   # Pillow's errors for unreadable files
        raise ValueError(f"{who}: cannot read {path}: {err}") from None


def image_info(path, who, decode=False):
    """(width, height, mode) from the header; ``decode=True`` also decodes every pixel, so a
    truncated or corrupt file is found now rather than mid-epoch."""
    with _open(path, who) as im:
        if im.mode not in EIGHT_BIT + SIXTEEN_BIT:
            raise ValueError(f"{who}: {path} has image mode {im.mode!r}, which is not read here "
                             f"(supported: {', '.join(EIGHT_BIT + SIXTEEN_BIT)})")
        if decode:
            _load(im, path, who)
        return im.size[0], im.size[1], im.mode


def _load(im, path, who):
    try:
        im.load()
    except Exception as err:   # truncated data, a bad CRC, a decoder error: all name the file
        raise ValueError(f"{who}: cannot decode {path} ({type(err).__name__}: {err}); the file is "
                         f"truncated or corrupt") from None


def read_rgb(path, who):
    """``(3, H, W)`` float32 in [0, 1] (module docstring), or ValueError naming the file."""
    with _open(path, who) as im:
        _load(im, path, who)
        mode = im.mode
        if mode in SIXTEEN_BIT:
            grey = numpy.asarray(im).astype(numpy.float64)
            if grey.size and (grey.min() < 0 or grey.max() > 65535):
                raise ValueError(f"{who}: {path} (mode {mode}) has values outside 0..65535: "
                                 f"{grey.min():.0f}..{grey.max():.0f}")
            grey = (grey / 65535.0).astype(numpy.float32)
            return numpy.repeat(grey[None], 3, axis=0)
        if mode not in EIGHT_BIT:
            raise ValueError(f"{who}: {path} has image mode {mode!r}, which is not read here")
        rgb = numpy.asarray(im.convert('RGB'), dtype=numpy.float32) / 255.0
    return numpy.ascontiguousarray(rgb.transpose(2, 0, 1))
