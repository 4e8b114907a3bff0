"""Reads for the galleries: one filtered queryset, its pages, its groups, and an output's neighbours.

Every read here is a fixed number of queries, whatever the number of outputs: pages join what a card
shows, and groups fetch all their outputs in one windowed query.
"""

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from studio.assets.models import Asset
from studio.projects.models import Project
from studio.review.filters import GalleryFilter
from studio.review.models import ReviewEvent
from studio.runs.models import Output, OutputKind, ReviewState, Run
from studio.runs.worker import MAIN_INPUT_ROLES
from studio.vendors.models import Offering

PAGE_SIZE = 60
GROUPS_PER_PAGE = 8
OUTPUTS_PER_GROUP = 24
CARD_FIELDS = ("id", "run_id", "task_id", "kind", "source_asset_id", "width", "height", "review_state",
               "review_reason", "created_at", "thumbnail")  # fmt: skip

# Sort keys as (field, descending); the last key is unique, so the order is total and neighbours are exact.
ORDERINGS = {
    "newest": (("created_at", True), ("id", True)),
    "product": (("sort_product_name", False), ("sort_product_id", False), ("created_at", True), ("id", True)),
}


def output_gallery(
    *, project: Project, filters: GalleryFilter, state: bool = True, ordered: bool = True
) -> QuerySet[Output]:
    """The project's result images that match the filters, in the filter's order (state=False: in any state;
    ordered=False: unordered, for counting)."""
    # A page walks the project's outputs newest first on the (project, created_at, id) index; a count reads
    # the (run, kind, review_state) index alone, reaching the project through its runs.
    outputs = Output.objects.filter(project=project) if ordered else Output.objects.filter(run__project=project)
    outputs = outputs.filter(kind=OutputKind.IMAGE)
    if state and filters.state:
        outputs = outputs.filter(review_state=filters.state)
    if filters.operation:
        outputs = outputs.filter(run__operation=filters.operation)
    if filters.run is not None:
        outputs = outputs.filter(run_id=filters.run)
    if filters.vendor:
        outputs = outputs.filter(run__offering__account__kind=filters.vendor)
    if filters.model is not None:
        outputs = outputs.filter(run__offering_id=filters.model)
    if filters.product is not None:
        outputs = outputs.filter(source_asset_id=filters.product)
    if filters.date_from:
        outputs = outputs.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        outputs = outputs.filter(created_at__date__lte=filters.date_to)
    return _ordered(outputs, filters.sort) if ordered else outputs


def _ordered(outputs: QuerySet[Output], sort: str) -> QuerySet[Output]:
    keys = ORDERINGS.get(sort, ORDERINGS["newest"])
    return outputs.order_by(*(f"-{name}" if descending else name for name, descending in keys))


def output_cards(outputs: QuerySet[Output]) -> QuerySet[Output]:
    """Outputs with only what a card shows, the related names as plain columns: one model per row, not five,
    and no JSON or dates of runs, offerings and accounts decoded for nothing."""
    return outputs.only(*CARD_FIELDS).annotate(
        card_operation=F("run__operation"),
        card_vendor=F("run__offering__account__kind"),
        card_model=F("run__offering__label"),
        card_product=F("source_asset__original_name"),
    )


@dataclass
class GalleryPage:
    outputs: list[Output]
    next_after: int | None  # the last output shown, when more follow: the next page starts after it


def output_gallery_page(*, project: Project, filters: GalleryFilter, after: int | None = None) -> GalleryPage:
    """A page of cards. Pages follow each other by keyset (after the last card shown), not by offset: a reviewer
    approving cards in the "pending" gallery moves them out of it, and an offset would then skip as many."""
    outputs = output_gallery(project=project, filters=filters)
    if after is not None:
        anchor = Output.objects.filter(pk=after, project=project).select_related("source_asset").first()
        if anchor is None:
            return GalleryPage([], None)
        outputs = outputs.filter(_beyond(_keys(filters), _sort_values(anchor), forward=True))
    rows = list(output_cards(outputs)[: PAGE_SIZE + 1])
    shown = rows[:PAGE_SIZE]
    return GalleryPage(shown, shown[-1].pk if len(rows) > PAGE_SIZE else None)


def output_state_counts(*, project: Project, filters: GalleryFilter) -> dict[str, int]:
    """How many outputs match the other filters, by review state: the state tabs and the count of matches."""
    outputs = output_gallery(project=project, filters=filters, state=False, ordered=False)
    counts = {state: 0 for state in ReviewState.values}
    counts.update(outputs.values_list("review_state").annotate(n=Count("id")).order_by())
    return counts


@dataclass
class ProductGroup:
    product: Asset
    outputs: list[Output]
    total: int  # all its matching outputs; only the first OUTPUTS_PER_GROUP are in `outputs`


@dataclass
class GroupPage:
    groups: list[ProductGroup]
    next_after: int | None  # the last product shown, when more follow
    without_product: int  # matching outputs that have no source product (text to image)


def output_groups_page(*, project: Project, filters: GalleryFilter, after: int | None = None) -> GroupPage:
    """One group per source product, with its matching outputs across runs and vendors, newest first."""
    outputs = output_gallery(project=project, filters=filters)
    unordered = output_gallery(project=project, filters=filters, ordered=False)
    sources = outputs.exclude(source_asset=None)
    if after is not None:
        anchor = Asset.objects.filter(pk=after, project=project).values_list("original_name", "pk").first()
        if anchor is None:
            return GroupPage([], None, 0)
        name, pk = anchor
        sources = sources.filter(Q(sort_product_name__gt=name) | Q(sort_product_name=name, sort_product_id__gt=pk))
    rows = list(  # the products in name order, walking the (project, product name, product id, …) index
        sources.order_by("sort_product_name", "sort_product_id")
        .values_list("sort_product_id", flat=True)
        .distinct()[: GROUPS_PER_PAGE + 1]
    )
    ids = rows[:GROUPS_PER_PAGE]
    products = Asset.objects.in_bulk(ids)
    totals = dict(  # the products' counts, and under None those of outputs made from no product
        unordered.filter(Q(source_asset_id__in=ids) | Q(source_asset=None))
        .values_list("source_asset_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    ranked = output_cards(
        outputs.filter(source_asset_id__in=ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("source_asset_id")], order_by=["-created_at", "-id"]))
        .filter(rank__lte=OUTPUTS_PER_GROUP)
    )
    by_product: dict[int, list[Output]] = {pk: [] for pk in ids}
    for output in ranked:
        by_product[output.source_asset_id].append(output)
    return GroupPage(
        groups=[ProductGroup(products[pk], by_product[pk], totals.get(pk, 0)) for pk in ids if pk in products],
        next_after=ids[-1] if len(rows) > GROUPS_PER_PAGE else None,
        without_product=totals.get(None, 0) if after is None else 0,
    )


def output_neighbours(*, project: Project, filters: GalleryFilter, output: Output) -> tuple[int | None, int | None]:
    """The previous and next output in the filtered gallery, by keyset, so it works even when the output
    itself no longer matches (a reviewer just approved it in the "pending" gallery)."""
    keys, values = _keys(filters), _sort_values(output)
    outputs = output_gallery(project=project, filters=filters)
    following = outputs.filter(_beyond(keys, values, forward=True)).values_list("pk", flat=True).first()
    reverse = [f"{name}" if descending else f"-{name}" for name, descending in keys]
    preceding = (
        outputs.filter(_beyond(keys, values, forward=False)).order_by(*reverse).values_list("pk", flat=True).first()
    )
    return preceding, following


def _keys(filters: GalleryFilter):
    return ORDERINGS.get(filters.sort, ORDERINGS["newest"])


def _sort_values(output: Output) -> dict:
    """Where an output sits in every order the gallery knows."""
    return {
        "created_at": output.created_at,
        "id": output.pk,
        "sort_product_name": output.sort_product_name,
        "sort_product_id": output.sort_product_id,
    }


def _beyond(keys, values: dict, *, forward: bool) -> Q:
    """Rows after (or before) `values` in the order `keys`: (a > x) or (a = x and b > y) or …"""
    condition, equal = None, {}
    for name, descending in keys:
        step = Q(**equal, **{f"{name}__{'lt' if descending == forward else 'gt'}": values[name]})
        condition = step if condition is None else condition | step
        equal[name] = values[name]
    return condition


def gallery_choices(*, project: Project, with_runs: bool = True) -> dict[str, list[tuple]]:
    """What the filter menus offer: the project's runs, the models its runs used, its source products."""
    runs = Run.objects.filter(project=project).values_list("pk", "operation", "created_at")[:200] if with_runs else []
    return {
        "runs": list(runs),
        "models": list(
            Offering.objects.filter(runs__project=project)
            .values_list("pk", "label", "account__kind")
            .distinct()
            .order_by("label")
        ),
        # The project's images that outputs are made from (by their role): cheap, where finding the sources
        # of every output would read every output on each page.
        "products": list(
            Asset.objects.filter(project=project, role__in=MAIN_INPUT_ROLES)
            .values_list("pk", "original_name")
            .order_by("original_name")[:500]
        ),
    }


def output_extras(*, output: Output) -> list[Output]:
    """The vector, grid and other files the same vendor call made beside this image."""
    return list(Output.objects.filter(task_id=output.task_id).exclude(kind=OutputKind.IMAGE).order_by("index"))


def review_history(*, output: Output) -> list[ReviewEvent]:
    return list(ReviewEvent.objects.filter(output=output).select_related("actor"))
