"""ZIP downloads of approved images, built while they stream: memory stays flat however many files.

Names are for a shop: `<source product>/<operation>-<NN>.<ext>`, sanitised, never colliding (two products
whose names clean up alike get `-2`, `-3` folders), with the vector/grid extras beside their image and a
`manifest.csv` of every file's facts at the end. Images are stored (ZIP_STORED): they are already
compressed, and deflating them again would cost CPU for nothing.
"""

import codecs
import csv
import io
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils import timezone

from studio.core.csv_export import spreadsheet_safe
from studio.runs.models import Output, OutputKind

CHUNK = 256 * 1024
MANIFEST = "manifest.csv"
BATCH = 200
NAME_MAX = 80
UNSAFE = re.compile(r"[^\w.-]+")  # \w keeps letters of every script: a Chinese product name stays Chinese
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
NO_PRODUCT_FOLDER = "no-product"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "application/postscript": "eps"}
MANIFEST_COLUMNS = [
    "file", "kind", "output_id", "image_of", "product", "operation", "vendor", "model", "run", "review_state",
    "reviewed_by", "reviewed_at", "width", "height", "bytes", "sha256", "created_at", "prompt", "note",
]  # fmt: skip


@dataclass
class ArchiveFile:
    name: str
    output: Output
    image: Output  # the approved image it belongs to (itself, or the image an extra was made beside)


def safe_name(text: str, fallback: str) -> str:
    """A file or folder name safe on every system: no separators, no control characters, no reserved names."""
    text = text.strip().lstrip(".")  # a leading dot would hide the file on macOS and Linux
    stem = text.rsplit(".", 1)[0] if "." in text else text
    cleaned = UNSAFE.sub("-", stem).strip("-._")[:NAME_MAX].strip("-._")
    if not cleaned:
        return fallback
    return f"{cleaned}-" if cleaned.upper() in WINDOWS_RESERVED else cleaned


class Namer:
    """Hands out names in the archive; the same product always gets the same folder."""

    def __init__(self):
        self.folders: dict[int | None, str] = {}
        self.taken: set[str] = set()  # case-folded: "Shirt" and "shirt" are one folder on Windows and macOS
        self.counters: Counter = Counter()

    def folder(self, output: Output) -> str:
        product = output.source_asset
        key = product.pk if product else None
        if key not in self.folders:
            base = safe_name(product.original_name, f"product-{product.pk}") if product else NO_PRODUCT_FOLDER
            name, n = base, 1
            while name.casefold() in self.taken:
                n += 1
                name = f"{base}-{n}"
            self.taken.add(name.casefold())
            self.folders[key] = name
        return self.folders[key]

    def base(self, output: Output) -> str:
        """`<folder>/<operation>-<NN>`, numbered per product and operation."""
        folder = self.folder(output)
        operation = output.run.operation.replace("_", "-")
        self.counters[(folder, operation)] += 1
        return f"{folder}/{operation}-{self.counters[(folder, operation)]:02d}"


def archive_files(outputs: QuerySet[Output]) -> Iterator[ArchiveFile]:
    """Every approved image in shop order, each followed by the extras of its vendor call."""
    namer = Namer()
    seen_tasks: set[int] = set()
    ordered = outputs.select_related("run__offering__account", "source_asset", "reviewed_by").order_by(
        "source_asset__original_name", "source_asset_id", "run__operation", "created_at", "id"
    )
    for batch in _batches(ordered.iterator(chunk_size=BATCH), BATCH):
        new_tasks = {output.task_id for output in batch} - seen_tasks
        extras: dict[int, list[Output]] = {}
        for extra in Output.objects.filter(task_id__in=new_tasks).exclude(kind=OutputKind.IMAGE).order_by("index"):
            extras.setdefault(extra.task_id, []).append(extra)
        for output in batch:
            base = namer.base(output)
            yield ArchiveFile(f"{base}.{_extension(output)}", output, output)
            if output.task_id not in seen_tasks:
                seen_tasks.add(output.task_id)
                for extra in extras.get(output.task_id, []):
                    yield ArchiveFile(f"{base}-{extra.kind}.{_extension(extra)}", extra, output)


def zip_stream(files: Iterable[ArchiveFile]) -> Iterator[bytes]:
    """The ZIP's bytes, chunk by chunk, written by the standard zipfile into a sink that is never seeked."""
    sink = _Sink()
    # The manifest grows beside the files and goes in last: in memory up to 1 MB, then in a temporary file.
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as manifest:
        manifest.write(codecs.BOM_UTF8)  # lets Excel read Chinese product names
        manifest.write(_csv_line(MANIFEST_COLUMNS))
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
            for item in files:
                note = ""
                try:
                    source = default_storage.open(item.output.file.name, "rb")
                except OSError:
                    note = "missing from storage: not in the archive"
                else:
                    info = _info(item.name, item.output.created_at, item.output.byte_size)
                    with source, archive.open(info, "w") as out:
                        while chunk := source.read(CHUNK):
                            out.write(chunk)
                            yield sink.take()
                manifest.write(_csv_line(_manifest_row(item, note)))
                yield sink.take()
            size = manifest.tell()
            manifest.seek(0)
            with archive.open(_info(MANIFEST, timezone.now(), size), "w") as out:
                while chunk := manifest.read(CHUNK):
                    out.write(chunk)
                    yield sink.take()
    yield sink.take()  # the central directory, written when the archive closed


def _csv_line(values: list) -> bytes:
    line = io.StringIO()
    csv.writer(line).writerow(spreadsheet_safe(value) for value in values)
    return line.getvalue().encode()


class _Sink:
    """A write-only stream: zipfile sees no seek() or tell() and writes data descriptors instead."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _info(name: str, moment, size: int) -> zipfile.ZipInfo:
    stamp = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    info = zipfile.ZipInfo(name, date_time=(max(1980, stamp.year), *stamp.timetuple()[1:6]))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16  # rw-r--r-- once unpacked
    info.file_size = size  # decides ZIP64 up front (over 4 GB)
    return info


def _manifest_row(item: ArchiveFile, note: str) -> list:
    output, image = item.output, item.image
    run = image.run
    return [
        item.name if not note else "",
        output.kind,
        output.pk,
        image.pk if output.pk != image.pk else "",
        image.source_asset.original_name if image.source_asset else "",
        run.operation,
        run.offering.account.kind,
        run.offering.model or run.offering.label,
        run.pk,
        image.review_state,
        image.reviewed_by.get_username() if image.reviewed_by else "",
        image.reviewed_at.isoformat() if image.reviewed_at else "",
        output.width or "",
        output.height or "",
        output.byte_size,
        output.sha256,
        output.created_at.isoformat(),
        run.params.get("prompt", ""),
        note,
    ]


def _extension(output: Output) -> str:
    return EXTENSIONS.get(output.content_type) or output.file.name.rsplit(".", 1)[-1].lower()


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
