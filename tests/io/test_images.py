"""The report's map pictures: palette PNGs that keep every colour of a class map exactly."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from scsmap.io.images import png_data_uri


def _decoded(uri: str) -> np.ndarray:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA"))


def test_a_class_map_keeps_its_colours_and_its_transparent_pixels_exactly():
    """Four colours by hand (one transparent), in a pattern: the PNG decodes to the same RGBA bytes, as a palette
    image of exactly those four colours."""
    colours = np.array([[0, 0, 0, 0], [26, 152, 80, 255], [254, 224, 139, 255], [215, 48, 39, 255]], "uint8")
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 4, (37, 53))
    codes[0, :4] = [3, 2, 1, 0]  # every colour, the last one first in the image
    rgba = colours[codes] / 255.0
    uri = png_data_uri(rgba)
    assert np.array_equal(_decoded(uri), colours[codes])
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.mode == "P" and len(img.getcolors()) == 4


def test_a_ramp_of_more_than_256_colours_is_quantized_to_256():
    ramp = np.linspace(0, 1, 600)
    rgba = np.stack([np.tile(ramp, (20, 1)), np.zeros((20, 600)), 1 - np.tile(ramp, (20, 1)), np.ones((20, 600))], -1)
    img = Image.open(io.BytesIO(base64.b64decode(png_data_uri(rgba).split(",", 1)[1])))
    assert img.mode == "P" and len(img.getcolors(maxcolors=1000)) <= 256
    assert np.abs(_decoded(png_data_uri(rgba)).astype(int) - np.round(rgba * 255)).max() <= 8
