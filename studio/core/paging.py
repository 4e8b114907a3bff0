"""Reading a page cursor or an id from a query string: anything but a plain whole number means none."""


def whole_number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 12 else None
