from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from studio.accounts.access import require_edit, require_review
from studio.core.files import serve_stored_file
from studio.core.paging import whole_number
from studio.projects.access import get_project_for_user, require_active
from studio.review import selectors
from studio.review.archive import archive_files, safe_name, zip_stream
from studio.review.cards import card_text, cards_prepare, options_html
from studio.review.filters import GalleryFilter
from studio.review.more import CannotReuse, output_compose_more
from studio.review.services import outputs_review_bulk
from studio.runs.models import Output, OutputKind, ReviewState, Run
from studio.vendors.catalogue import KINDS
from studio.vendors.operations import Operation

ACTIONS = {"approve": ReviewState.APPROVED, "reject": ReviewState.REJECTED, "reset": ReviewState.PENDING}


def _get_run_for_user(request, run_id: int):
    run = get_object_or_404(Run.objects.select_related("offering__account"), pk=run_id)
    project, membership = get_project_for_user(request, run.project_id)
    run.project = project
    return run, membership


def _get_output_for_user(request, output_id: int, *, images_only: bool = True):
    outputs = Output.objects.select_related("run__offering__account", "task", "source_asset", "reviewed_by")
    if images_only:
        outputs = outputs.filter(kind=OutputKind.IMAGE)
    output = get_object_or_404(outputs, pk=output_id)
    project, membership = get_project_for_user(request, output.run.project_id)
    output.run.project = project
    return output, membership


def _after(data) -> int | None:
    """Where the next page starts (the last card or product shown); anything else means the first page."""
    return whole_number(data.get("after"))


def _gallery_url(project, filters: GalleryFilter, *, run=None, **changes) -> str:
    """The gallery page these filters show: a run's own gallery (`run`), or the project's (filtered by run or not)."""
    if run is not None:
        url, query = reverse("review:run", args=[run.pk]), filters.query(run=None, **changes)  # the run is in the path
    else:
        url, query = reverse("review:project", args=[project.pk]), filters.query(**changes)
    return f"{url}?{query}" if query else url


def _with_after(url: str, after: int | None) -> str:
    return f"{url}{'&' if '?' in url else '?'}after={after}" if after else ""


# Galleries ---------------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def project_gallery(request, project_id: int):
    project, membership = get_project_for_user(request, project_id)
    return _render_gallery(request, project, membership, GalleryFilter.from_query(request.GET))


@login_required
@require_GET
@vary_on_headers("HX-Request")
def run_gallery(request, run_id: int):
    run, membership = _get_run_for_user(request, run_id)
    filters = GalleryFilter.from_query(request.GET).with_run(run.pk)
    return _render_gallery(request, run.project, membership, filters, run=run)


def _render_gallery(request, project, membership, filters: GalleryFilter, *, run=None):
    after = _after(request.GET)
    if filters.group:
        found = selectors.output_groups_page(project=project, filters=filters, after=after)
        for group in found.groups:
            group.more_url = _gallery_url(project, filters, run=run, group="", product=group.product.pk)
            cards_prepare(group.outputs, query=filters.query())
    else:
        found = selectors.output_gallery_page(project=project, filters=filters, after=after)
        cards_prepare(found.outputs, query=filters.query())
    context = {
        "project": project,
        "run": run,
        "membership": membership,
        "can_review": membership.can_review,
        "can_edit": membership.can_edit and not project.is_archived,
        "filters": filters,
        "query": filters.query(),
        "found": found,
        "next_url": _with_after(_gallery_url(project, filters, run=run), found.next_after),
        "card": card_text(request),
    }
    if request.htmx and not request.htmx.boosted and after is not None:
        return render(
            request, "review/gallery.html#groups-page" if filters.group else "review/gallery.html#page", context
        )
    context.update(
        _bar(project, filters, run),
        clear_url=_gallery_url(project, GalleryFilter(run=run.pk if run else None, group=filters.group), run=run),
        bulk_url=reverse("review:run_bulk", args=[run.pk]) if run else reverse("review:bulk", args=[project.pk]),
        options=_filter_options(project, filters, with_runs=run is None),
    )
    template = "review/gallery.html#gallery" if request.htmx and not request.htmx.boosted else "review/gallery.html"
    return render(request, template, context)


def _bar(project, filters: GalleryFilter, run) -> dict:
    """The gallery bar: the review-state tabs with their counts, the match count and the download button."""
    counts = selectors.output_state_counts(project=project, filters=filters)
    download_query = filters.query(state="", sort="newest", group="")
    download_url = reverse("review:download", args=[project.pk])
    return {
        "filters": filters,
        "counts": counts,
        "all_count": sum(counts.values()),
        "total": counts[filters.state] if filters.state else sum(counts.values()),
        "states": [(value, label, counts[value]) for value, label in ReviewState.choices],
        "state_urls": {value: _gallery_url(project, filters, run=run, state=value) for value in ReviewState.values},
        "all_url": _gallery_url(project, filters, run=run, state=""),
        "download_url": f"{download_url}?{download_query}" if download_query else download_url,
    }


def _filter_options(project, filters: GalleryFilter, *, with_runs: bool) -> dict:
    choices = selectors.gallery_choices(project=project, with_runs=with_runs)
    operations = dict(Operation.choices)
    runs = [
        (pk, f"{pk} · {operations.get(op, op)} · {localtime(when):%m-%d %H:%M}") for pk, op, when in choices["runs"]
    ]
    return {
        "run": options_html(runs, filters.run),
        "operation": options_html(Operation.choices, filters.operation),
        "vendor": options_html(((kind, kind) for kind in KINDS), filters.vendor),
        "model": options_html(((pk, f"{label} · {kind}") for pk, label, kind in choices["models"]), filters.model),
        "product": options_html(choices["products"], filters.product),
    }


# The viewer --------------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def output_viewer(request, output_id: int):
    output, membership = _get_output_for_user(request, output_id)
    filters = GalleryFilter.from_query(request.GET)
    return _render_viewer(request, output, membership, filters)


def _render_viewer(request, output, membership, filters, *, changed: Output | None = None):
    project = output.run.project
    previous, following = selectors.output_neighbours(project=project, filters=filters, output=output)
    context = {
        "output": output,
        "project": project,
        "run": output.run,
        "membership": membership,
        "can_review": membership.can_review,
        "can_edit": membership.can_edit and not project.is_archived,
        "filters": filters,
        "query": filters.query(),
        "previous": previous,
        "following": following,
        "extras": selectors.output_extras(output=output),
        "history": selectors.review_history(output=output),
        "gallery_url": _gallery_url(project, filters),
        "changed": _card(changed, filters) if changed else None,  # the output just reviewed: its card, updated
        "card": card_text(request),
    }
    template = "review/viewer.html#viewer" if request.htmx and not request.htmx.boosted else "review/viewer.html"
    return render(request, template, context)


# Review ------------------------------------------------------------------------------------------


@login_required
@require_POST
def output_review(request, output_id: int):
    """One output, from its card (answers the card) or from the viewer (answers the next output's viewer)."""
    output, membership = _get_output_for_user(request, output_id)
    require_review(membership)
    to_state = ACTIONS.get(request.POST.get("action", ""))
    if to_state is None:
        return HttpResponseBadRequest(_("Choose approve, reject or reset."))
    outputs_review_bulk(
        outputs=Output.objects.filter(pk=output.pk),
        actor=request.user,
        to_state=to_state,
        reason=request.POST.get("reason", ""),
    )
    output.refresh_from_db(fields=["review_state", "review_reason", "reviewed_by", "reviewed_at"])
    filters = GalleryFilter.from_query(request.GET)
    if request.POST.get("from") == "viewer":
        _previous, following = selectors.output_neighbours(project=output.run.project, filters=filters, output=output)
        if not request.htmx:
            target = following or output.pk
            url = reverse("review:viewer", args=[target])
            return redirect(f"{url}?{filters.query()}" if filters.query() else url)
        if following:
            shown, _membership = _get_output_for_user(request, following)
        else:
            shown = output
            messages.info(request, _("That was the last image here."))
        return _render_viewer(request, shown, membership, filters, changed=output)
    if not request.htmx:
        return redirect(_gallery_url(output.run.project, filters))
    project = output.run.project
    run = output.run if filters.run == output.run_id else None
    context = {"output": _card(output, filters), "can_review": True, "card": card_text(request), "oob": True}
    return render(request, "review/_reviewed_card.html", {**context, **_bar(project, filters, run)})


def _card(output: Output, filters: GalleryFilter) -> Output:
    return cards_prepare(list(selectors.output_cards(Output.objects.filter(pk=output.pk))), query=filters.query())[0]


@login_required
@require_POST
def bulk_review(request, project_id: int):
    project, membership = get_project_for_user(request, project_id)
    return _bulk_review(request, project, membership, GalleryFilter.from_query(request.GET))


@login_required
@require_POST
def run_bulk_review(request, run_id: int):
    run, membership = _get_run_for_user(request, run_id)
    return _bulk_review(
        request, run.project, membership, GalleryFilter.from_query(request.GET).with_run(run.pk), run=run
    )


def _bulk_review(request, project, membership, filters: GalleryFilter, *, run=None):
    require_review(membership)
    to_state = ACTIONS.get(request.POST.get("action", ""))
    chosen = _chosen(project, filters, request.POST)
    if to_state is None:
        messages.error(request, _("Choose approve, reject or reset."))
    elif chosen is None:
        messages.error(request, _("Select images first, or tick “all matching”."))
    else:
        changed = len(
            outputs_review_bulk(
                outputs=chosen, actor=request.user, to_state=to_state, reason=request.POST.get("reason", "")
            )
        )
        messages.success(request, _bulk_message(to_state, changed))
    if not request.htmx:
        return redirect(_gallery_url(project, filters, run=run))
    return _render_gallery(request, project, membership, filters, run=run)


def _chosen(project, filters: GalleryFilter, data):
    """The outputs a bulk form names: every one matching the filter, or the ticked ones of this project."""
    if data.get("all_matching") == "1":
        return selectors.output_gallery(project=project, filters=filters)
    ids = [int(value) for value in data.getlist("output") if value.isdigit()]
    if not ids:
        return None
    return Output.objects.filter(project=project, kind=OutputKind.IMAGE, pk__in=ids)


def _bulk_message(to_state: str, n: int) -> str:
    if to_state == ReviewState.APPROVED:
        text = ngettext("Approved %(n)d image.", "Approved %(n)d images.", n)
    elif to_state == ReviewState.REJECTED:
        text = ngettext("Rejected %(n)d image.", "Rejected %(n)d images.", n)
    else:
        text = ngettext("Reset %(n)d image to pending.", "Reset %(n)d images to pending.", n)
    return text % {"n": n}


# Taking images away ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def download_approved(request, project_id: int):
    """A ZIP of the approved images of the project, of the filtered gallery (a run…), or of a selection (POST)."""
    project, _membership = get_project_for_user(request, project_id)
    filters = GalleryFilter.from_query(request.GET)
    if request.method == "POST":
        chosen = _chosen(project, filters, request.POST)
        if chosen is None:
            messages.error(request, _("Select images first, or tick “all matching”."))
            return redirect(_gallery_url(project, filters))
    else:
        chosen = selectors.output_gallery(project=project, filters=filters, state=False)
    approved = chosen.filter(review_state=ReviewState.APPROVED)
    if not approved.exists():
        messages.info(request, _("No approved images yet — approve some in the gallery."))
        return redirect(_gallery_url(project, filters))
    name = safe_name(project.name, "project") + (f"-run-{filters.run}" if filters.run is not None else "")
    response = StreamingHttpResponse(zip_stream(archive_files(approved)), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{name}-approved.zip")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def output_download(request, output_id: int):
    """One output (or one of its extras) in its original quality, under a shop-ready name."""
    output, _membership = _get_output_for_user(request, output_id, images_only=False)
    product = output.source_asset.original_name if output.source_asset else ""
    extension = output.file.name.rsplit(".", 1)[-1]
    kind = "" if output.kind == OutputKind.IMAGE else f"-{output.kind}"
    name = f"{safe_name(product, 'output')}-{output.run.operation.replace('_', '-')}-{output.pk}{kind}.{extension}"
    return serve_stored_file(output.file, output.content_type, download_name=name)


@login_required
@require_POST
def output_more(request, output_id: int):
    """ "Make more like this": the composer, with this run's settings and this output as input or reference."""
    output, membership = _get_output_for_user(request, output_id)
    require_edit(membership)
    require_active(output.run.project)
    use = request.POST.get("as", "")
    if use not in ("input", "reference"):
        return HttpResponseBadRequest(_("Choose “as input” or “as reference”."))
    try:
        start = output_compose_more(output=output, use=use, user=request.user)
    except CannotReuse as refused:
        messages.error(request, str(refused))
        return redirect("review:viewer", output_id=output.pk)
    if start.warning:
        messages.warning(request, start.warning)
    else:
        messages.info(
            request, _("The composer has the same settings and this image; nothing starts until you press Start.")
        )
    return redirect(f"{reverse('runs:compose', args=[output.run.project_id])}?{start.query.urlencode()}")
