"""Fetching inputs and making believable results: the product re-framed and visibly restyled.

Everything stays small (results at most MAX_SIDE pixels) so a demo of a hundred tasks stays quick.
"""

from __future__ import annotations

import hashlib
import io

import httpx
from PIL import Image, ImageDraw, ImageFilter, ImageOps

MAX_SIDE = 1024
_client = httpx.Client(follow_redirects=True)  # one pool for all input fetches: a new client costs ~50 ms


class InputError(Exception):
    """An input URL that could not be fetched or is not an image; vendor modules map it to their error."""


def fetch_image(url: str, *, timeout: float = 10.0, max_side: int | None = MAX_SIDE) -> Image.Image:
    """Fetches an input URL as the vendor would; refuses what does not answer or is not an image.

    Shrunk to `max_side` like every input; `max_side=None` keeps its size, for a vendor that checks it.
    """
    if not url or not url.startswith(("http://", "https://")):
        raise InputError(f"not a URL: {url!r}")
    try:
        response = _client.get(url, timeout=timeout)
    except httpx.HTTPError as error:
        raise InputError(f"cannot fetch {url}: {type(error).__name__}") from None
    if response.status_code != 200:
        raise InputError(f"fetching {url} answered HTTP {response.status_code}")
    return open_image(response.content, max_side=max_side)


def open_image(data: bytes, *, max_side: int | None = MAX_SIDE) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:  # Pillow raises many kinds for bad bytes; all mean "not an image"
        raise InputError("the input is not an image") from None
    image = ImageOps.exif_transpose(image)
    if max_side is not None:
        image.thumbnail((max_side, max_side))
    return image.convert("RGBA") if image.mode in ("RGBA", "LA", "P") else image.convert("RGB")


def encode(image: Image.Image, image_format: str = "PNG") -> tuple[bytes, str]:
    buffer = io.BytesIO()
    fmt = image_format.upper().replace("JPG", "JPEG")
    if fmt == "JPEG":
        image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=88)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=85)
    elif fmt == "EPS":
        image.convert("RGB").save(buffer, "EPS")
        return buffer.getvalue(), "application/postscript"
    else:
        fmt = "PNG"
        image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue(), f"image/{fmt.lower()}"


def palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Two colours that follow from a prompt, so different prompts give visibly different looks."""
    digest = hashlib.sha256(seed.encode()).digest()
    dark = (digest[0] // 3, digest[1] // 3, digest[2] // 3)
    light = (155 + digest[3] % 100, 155 + digest[4] % 100, 155 + digest[5] % 100)
    return dark, light


def parse_ratio(ratio: str | None, fallback: tuple[int, int]) -> tuple[int, int]:
    """'16:9' → (16, 9); 'auto' or nothing keeps the input's own proportions."""
    if not ratio or ratio == "auto":
        return fallback
    width, _, height = ratio.partition(":")
    return int(width), int(height)


def canvas_for(ratio: tuple[int, int], long_side: int = MAX_SIDE) -> tuple[int, int]:
    width, height = ratio
    if width >= height:
        return long_side, max(1, round(long_side * height / width))
    return max(1, round(long_side * width / height)), long_side


def restyle(image: Image.Image, prompt: str, *, size: tuple[int, int] | None = None, variant: int = 0) -> Image.Image:
    """The product, re-framed onto a canvas of the requested size and colour-graded after the prompt."""
    size = size or image.size
    dark, light = palette(f"{prompt}#{variant}")
    background = gradient(size, light, dark)
    product = image.convert("RGBA")
    product.thumbnail((int(size[0] * 0.8), int(size[1] * 0.8)))
    graded = ImageOps.colorize(ImageOps.grayscale(product.convert("RGB")), dark, light).convert("RGBA")
    blended = Image.blend(product, graded, 0.45)
    blended.putalpha(product.getchannel("A"))
    offset = ((size[0] - blended.width) // 2, (size[1] - blended.height) // 2)
    background.paste(blended, offset, blended)
    return background.convert("RGB")


def generate(prompt: str, size: tuple[int, int], *, variant: int = 0) -> Image.Image:
    """Text to image: a composition whose colours and shapes follow from the prompt."""
    dark, light = palette(f"{prompt}#{variant}")
    image = gradient(size, light, dark)
    draw = ImageDraw.Draw(image)
    digest = hashlib.sha256(f"{prompt}#{variant}".encode()).digest()
    for n in range(4):
        x, y = digest[n * 2] / 255 * size[0], digest[n * 2 + 1] / 255 * size[1]
        radius = (20 + digest[10 + n] % 60) / 300 * min(size)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=tuple(c // 2 + 60 for c in light))
    draw.text((12, size[1] - 24), prompt[:80], fill=dark)
    return image


def gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    column = Image.linear_gradient("L").resize((1, 256))
    mask = column.resize(size)
    return Image.composite(Image.new("RGBA", size, bottom + (255,)), Image.new("RGBA", size, top + (255,)), mask)


def upscale(image: Image.Image, factor: float) -> Image.Image:
    """Bigger and sharper, capped so the simulator stays quick."""
    target = max(1, int(image.width * factor)), max(1, int(image.height * factor))
    scale = min(1.0, 2048 / max(target))
    target = max(1, int(target[0] * scale)), max(1, int(target[1] * scale))
    return image.resize(target, Image.Resampling.LANCZOS).filter(ImageFilter.UnsharpMask(2, 120, 2))


def smooth(image: Image.Image) -> Image.Image:
    """Texture, rhinestones or a watermark removed: a median filter reads as 'cleaned' at a glance."""
    return image.filter(ImageFilter.MedianFilter(5))


def expand(image: Image.Image, top: float, bottom: float, left: float, right: float) -> Image.Image:
    """Outpainting: the canvas grows by each ratio and the new margin continues the edge colours."""
    width, height = image.size
    new = (round(width * (1 + left + right)), round(height * (1 + top + bottom)))
    canvas = image.convert("RGB").resize(new).filter(ImageFilter.GaussianBlur(25))
    canvas.paste(image.convert("RGB"), (round(width * left), round(height * top)))
    return canvas


def make_seamless(image: Image.Image) -> Image.Image:
    """A tile whose edges meet: the image mirrored into a 2×2 block and scaled back."""
    tile = image.convert("RGB")
    block = Image.new("RGB", (tile.width * 2, tile.height * 2))
    block.paste(tile, (0, 0))
    block.paste(ImageOps.mirror(tile), (tile.width, 0))
    block.paste(ImageOps.flip(tile), (0, tile.height))
    block.paste(ImageOps.flip(ImageOps.mirror(tile)), (tile.width, tile.height))
    return block.resize(tile.size)


def grid(tile: Image.Image, columns: int, rows: int) -> Image.Image:
    sheet = Image.new("RGB", (tile.width * columns, tile.height * rows))
    for column in range(columns):
        for row in range(rows):
            sheet.paste(tile, (column * tile.width, row * tile.height))
    sheet.thumbnail((2048, 2048))
    return sheet


def quantize(image: Image.Image, colours: int) -> Image.Image:
    return image.convert("RGB").quantize(colors=colours).convert("RGB")


def composite(background: Image.Image, item: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """Places `item` at (x, y) scaled to (width, height) on `background` (change background, try-on)."""
    x, y, width, height = box
    canvas = background.convert("RGBA")
    placed = item.convert("RGBA").resize((max(1, width), max(1, height)))
    canvas.paste(placed, (x, y), placed)
    return canvas.convert("RGB")
