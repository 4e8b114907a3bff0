"""Real image files (and real bad files) for the upload tests, made with Pillow in memory."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def jpeg(width=640, height=480, colour="#4a6fa5", **options) -> bytes:
    return encode(Image.new("RGB", (width, height), colour), "JPEG", quality=90, **options)


def noisy_jpeg(width=640, height=480) -> bytes:
    return encode(Image.effect_noise((width, height), 64).convert("RGB"), "JPEG", quality=90)


def png_with_alpha(width=300, height=200) -> bytes:
    return encode(Image.new("RGBA", (width, height), (200, 40, 40, 128)), "PNG")


def webp(width=320, height=320) -> bytes:
    return encode(Image.new("RGB", (width, height), "#2e8b57"), "WEBP")


def gif() -> bytes:
    return encode(Image.new("P", (50, 50)), "GIF")


def rotated_jpeg(width=400, height=200, orientation=6) -> bytes:
    """A JPEG stored sideways whose EXIF says 'rotate me', as phone cameras write them."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(Image.new("RGB", (width, height), "red"), "JPEG", exif=exif.tobytes())


def truncated_jpeg() -> bytes:
    data = noisy_jpeg(800, 600)
    return data[: len(data) // 2]


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A few dozen bytes of PNG that declare a gigantic image: a decompression bomb's header."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def distinct_png(n: int, size=24) -> bytes:
    """A small lossless image whose bytes differ for every n (JPEG could quantise two colours alike)."""
    return encode(Image.new("RGB", (size, size), (n % 256, (n // 256) % 256, 200)), "PNG")
