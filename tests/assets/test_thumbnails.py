import io

import pytest
from PIL import Image

from studio.assets.ingest import webp_thumbnail


def thumbnail_of(image: Image.Image, size: int = 480) -> Image.Image:
    return Image.open(io.BytesIO(webp_thumbnail(image, size)))


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ((1024, 1024), (512, 512)),  # reduce(2) lands within 1.2 × 480: no resample
        ((2048, 1536), (512, 384)),  # reduce(4)
        ((1500, 1000), (500, 334)),  # reduce(3), rounding up
        ((700, 350), (480, 240)),  # no integer factor fits: resampled to 480
        ((1200, 800), (480, 320)),  # reduce(2) gives 600, still over 576: resampled
        ((300, 200), (300, 200)),  # small images stay as they are
    ],
)
def test_it_keeps_the_long_side_between_size_and_a_fifth_more(original, expected):
    assert thumbnail_of(Image.new("RGB", original, "teal")).size == expected


def test_it_keeps_transparency_of_palette_images():
    palette = Image.new("P", (1000, 600))
    palette.info["transparency"] = 0
    assert thumbnail_of(palette).mode == "RGBA"


def test_it_averages_colours_not_palette_indices():
    stripes = Image.new("RGB", (960, 960))
    for x in range(0, 960, 2):
        stripes.paste((255, 0, 0), (x, 0, x + 1, 960))
        stripes.paste((0, 0, 255), (x + 1, 0, x + 2, 960))
    thumb = thumbnail_of(stripes.convert("P", palette=Image.Palette.ADAPTIVE)).convert("RGB")
    red, green, blue = thumb.getpixel((200, 200))
    assert abs(red - blue) < 40 and red > 80  # purple: red and blue averaged


def test_it_keeps_greyscale_with_alpha_transparent():
    assert thumbnail_of(Image.new("LA", (1000, 1000))).mode == "RGBA"
