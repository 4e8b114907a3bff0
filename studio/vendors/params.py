"""Parameter schemas: each adapter declares what a user can set, with the ranges its document gives.

The same declaration drives validation (before any call or charge) and, later, the composer's form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext as _

Kind = Literal["text", "choice", "int", "float", "bool"]


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    label: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    help: str = ""

    def clean(self, value: Any) -> Any:
        """Returns the value in its proper type, or raises ValueError with a message a user can act on."""
        if value is None or value == "":
            if self.required:
                raise ValueError(_("This is required."))
            return self.default
        if self.kind == "text":
            text = str(value)
            if self.max_length and len(text) > self.max_length:
                raise ValueError(_("At most %(n)d characters.") % {"n": self.max_length})
            return text
        if self.kind == "bool":
            return _to_bool(value)
        if self.kind == "choice":
            for choice in self.choices:
                if str(choice) == str(value):
                    return choice
            raise ValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, self.choices))})
        number = _to_number(value, integer=self.kind == "int")
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            raise ValueError(
                _("Must be between %(min)s and %(max)s.") % {"min": _plain(self.min), "max": _plain(self.max)}
            )
        return number


def clean_params(schema: list[Param], raw: dict[str, Any]) -> dict[str, Any]:
    """Cleans every declared parameter; unknown names are refused rather than silently sent."""
    from studio.vendors.base import InvalidParameters

    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    declared = {param.name: param for param in schema}
    for name in raw:
        if name not in declared:
            errors[name] = _("Not a parameter of this model.")
    for name, param in declared.items():
        try:
            value = param.clean(raw.get(name))
        except ValueError as error:
            errors[name] = str(error)
        else:
            if value is not None:
                cleaned[name] = value
    if errors:
        raise InvalidParameters(errors)
    return cleaned


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(_("Must be true or false."))


def _to_number(value: Any, *, integer: bool) -> int | float:
    if isinstance(value, bool):
        raise ValueError(_("Must be a number."))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(_("Must be a number.")) from None
    if not math.isfinite(number):  # "nan", "inf", "1e999": no range check holds for them
        raise ValueError(_("Must be a number."))
    if integer:
        if number != int(number):
            raise ValueError(_("Must be a whole number."))
        return int(number)
    return number


def _plain(number: float | None) -> str:
    return "" if number is None else f"{number:g}"
