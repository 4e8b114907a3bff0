"""The gallery filter: read from the querystring, written back to it, unknown values set aside."""

from datetime import date

from django.http import QueryDict

from studio.review.filters import GalleryFilter


def test_it_reads_every_filter_from_the_querystring():
    query = QueryDict(
        "state=approved&operation=wash&run=3&vendor=lingtu&model=7&product=9&from=2026-01-02&to=2026-02-03"
        "&sort=product&group=product"
    )
    assert GalleryFilter.from_query(query) == GalleryFilter(
        state="approved", operation="wash", run=3, vendor="lingtu", model=7, product=9,
        date_from=date(2026, 1, 2), date_to=date(2026, 2, 3), sort="product", group="product",
    )  # fmt: skip


def test_it_writes_back_only_what_differs_from_the_defaults():
    filters = GalleryFilter(state="pending", vendor="imagewash", date_from=date(2026, 3, 4))
    assert filters.query() == "state=pending&vendor=imagewash&from=2026-03-04"
    assert GalleryFilter.from_query(QueryDict(filters.query())) == filters
    assert filters.query(state="", sort="product") == "vendor=imagewash&from=2026-03-04&sort=product"
    assert GalleryFilter().query() == ""


def test_unknown_values_are_set_aside_and_reported():
    filters = GalleryFilter.from_query(QueryDict("state=maybe&run=x&vendor=acme&from=yesterday&sort=random&model=7"))
    assert filters == GalleryFilter(model=7)
    assert filters.ignored == ("state=maybe", "run=x", "vendor=acme", "from=yesterday", "sort=random")


def test_is_filtered_leaves_the_state_and_the_layout_out():
    assert not GalleryFilter(state="pending", sort="product", group="product").is_filtered
    assert GalleryFilter(product=1).is_filtered
