"""What each vendor can do and its default price; every adapter module declares its CATALOGUE."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from studio.vendors.operations import Operation

KINDS = ("imagewash", "imagetasks", "hdredraw", "suchuang", "lingtu")


@dataclass(frozen=True)
class CatalogueEntry:
    operation: Operation
    model: str  # the vendor's model name; "" where the endpoint itself is the model
    label: str
    points: int  # default points per output image
    price_by: tuple[str, ...] = ()  # parameters the price depends on, e.g. ("size_tier", "quality")
    price_table: dict[str, int] = field(default_factory=dict)  # "value:value" → points per output
    fixed_params: dict[str, Any] = field(default_factory=dict)  # sent with every request of this offering


def points_per_output(
    *, points: int, price_by: tuple[str, ...] | list[str], price_table: dict[str, int], price_inputs: dict[str, Any]
) -> int:
    """The price of one output: the table's entry for these parameter values, else the flat price."""
    if not price_by:
        return points
    key = ":".join(str(price_inputs.get(name, "")) for name in price_by)
    return price_table.get(key, points)


def vendor_module(kind: str):
    if kind not in KINDS:
        raise ValueError(f"unknown vendor kind {kind!r}")
    return importlib.import_module(f"studio.vendors.{kind}")


def adapter_class(kind: str):
    return vendor_module(kind).ADAPTER


def catalogue(kind: str) -> list[CatalogueEntry]:
    return list(vendor_module(kind).CATALOGUE)


def label_in_reader_language(kind: str, operation: str, model: str, stored: str) -> str:
    """An offering's label as its catalogue entry words it in the active language, when the stored label is
    still the entry's English one (an operator may have written another, which is shown as written)."""
    for entry in vendor_module(kind).CATALOGUE:
        if entry.operation == operation and entry.model == model:
            with translation.override("en"):
                english = str(entry.label)
            return str(entry.label) if english == stored else stored
    return stored
