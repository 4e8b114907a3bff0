"""The gallery's filters, read from the querystring into one small value.

The same value drives the grid, "select all matching the filter" and the ZIP, so what a reviewer sees
is exactly what a bulk action or a download takes. A value the studio does not know is left out and
reported back, never an error.
"""

from dataclasses import dataclass, field, fields, replace
from datetime import date

from django.http import QueryDict

from studio.core.paging import whole_number
from studio.runs.models import ReviewState
from studio.vendors.catalogue import KINDS
from studio.vendors.operations import Operation

SORTS = ("newest", "product")
GROUPS = ("product",)
PARAMS = {  # attribute → querystring name
    "state": "state",
    "operation": "operation",
    "run": "run",
    "vendor": "vendor",
    "model": "model",
    "product": "product",
    "date_from": "from",
    "date_to": "to",
    "sort": "sort",
    "group": "group",
}


@dataclass(frozen=True)
class GalleryFilter:
    state: str = ""
    operation: str = ""
    run: int | None = None
    vendor: str = ""  # a vendor kind (imagewash, lingtu, …)
    model: int | None = None  # an offering: one vendor account's model for one operation
    product: int | None = None  # the source asset
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "newest"
    group: str = ""  # "product": one row per source product instead of the grid
    ignored: tuple[str, ...] = field(default=(), compare=False)  # what the querystring said that we could not use

    @classmethod
    def from_query(cls, data: QueryDict) -> "GalleryFilter":
        values, ignored = {}, []
        readers = {
            "state": _choice(ReviewState.values),
            "operation": _choice(Operation.values),
            "run": whole_number,
            "vendor": _choice(KINDS),
            "model": whole_number,
            "product": whole_number,
            "date_from": _date,
            "date_to": _date,
            "sort": _choice(SORTS),
            "group": _choice(GROUPS),
        }
        for name, param in PARAMS.items():
            raw = data.get(param, "").strip()
            if not raw:
                continue
            value = readers[name](raw)
            if value is None:
                ignored.append(f"{param}={raw[:40]}")
            else:
                values[name] = value
        return cls(**values, ignored=tuple(ignored))

    def with_run(self, run_id: int) -> "GalleryFilter":
        return replace(self, run=run_id)

    def query(self, **changes) -> str:
        """This filter as a querystring (only what differs from the defaults), with some fields changed."""
        current = replace(self, **changes) if changes else self
        data = QueryDict(mutable=True)
        for item in fields(self):
            if item.name not in PARAMS:
                continue
            value = getattr(current, item.name)
            if value not in (None, "", item.default):
                data[PARAMS[item.name]] = value.isoformat() if isinstance(value, date) else str(value)
        return data.urlencode()

    @property
    def is_filtered(self) -> bool:
        """Narrowed by anything but the review state (the state has its own tabs)."""
        return any(
            getattr(self, name) not in (None, "")
            for name in ("operation", "vendor", "model", "product", "date_from", "date_to")
        )


def _choice(allowed):
    def read(raw: str):
        return raw if raw in allowed else None

    return read


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
