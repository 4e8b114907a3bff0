import hashlib
import re
import uuid
from collections import Counter

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from studio.assets.models import Asset
from studio.core.files import serve_stored_file
from studio.core.paging import whole_number
from studio.points.budgets import budget_top_up
from studio.points.services import InsufficientPoints, points_balance
from studio.projects import services as preset_services
from studio.projects.access import get_project_for_user, require_active
from studio.projects.models import PromptPreset
from studio.runs import services
from studio.runs.composer import form_from_run, plan_calls, read_composition
from studio.runs.models import UNCERTAIN, Output, OutputKind, Run, RunInput, TaskState
from studio.runs.services import (
    AlreadySubmitted,
    MonthlyLimitReached,
    OfferingUnavailable,
    member_points_left,
    runs_estimate,
    runs_submit,
)
from studio.vendors.base import ErrorClass, InvalidParameters, VendorError
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.operations import Operation
from studio.vendors.vendor_catalogues import catalogue_image, catalogue_items

ERROR_ADVICE = {  # what to do, by the class of the vendor's error (the vendor's own words are shown too)
    ErrorClass.BAD_CREDENTIALS: gettext_lazy(
        "The vendor refused our key: a studio operator must check this vendor account."
    ),
    ErrorClass.INSUFFICIENT_BALANCE: gettext_lazy(
        "Our account at the vendor is out of credit: a studio operator must top it up."
    ),
    ErrorClass.INVALID_PARAMETERS: gettext_lazy("The vendor refused these settings: run again with changes."),
    ErrorClass.RATE_LIMITED: gettext_lazy("The vendor stayed too busy: retry in a while."),
    ErrorClass.TRANSIENT: gettext_lazy(
        "The vendor or the network kept failing: retry; if it goes on, tell a studio operator."
    ),
    ErrorClass.PERMANENT: gettext_lazy(
        "The vendor refused this job: check the image and settings, or try another vendor."
    ),
    UNCERTAIN: gettext_lazy(
        "A studio operator can look this job up in the vendor's records (Admin → Vendor check). Send it again only if "
        "you accept that the vendor may charge twice."
    ),
}


# Composer ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def compose(request, project_id: int):
    """The composer; drawn again by a POST of its own form (a change of operation or vendor), which may carry
    2,000 chosen images: too long for a URL (gunicorn refuses a request line over 4 KB)."""
    project, membership = get_project_for_user(request, project_id, edit=True)
    require_active(project)
    data = request.POST if request.method == "POST" else request.GET
    if data.get("picked") == "1":
        data = _with_library_selection(request, project, data)
    if data.get("from_run", "").isdigit():
        earlier = get_object_or_404(Run, pk=data["from_run"], project=project)
        data = form_from_run(earlier)
    if data.get("use_preset", "").isdigit():
        preset = get_object_or_404(PromptPreset, pk=data["use_preset"], project=project)
        data = data.copy()
        data["param_prompt"] = preset.text
    return _render_composer(request, project, data)


def _with_library_selection(request, project, data) -> QueryDict:
    """The images chosen in the library ("New job with these"), each in its own role's picker."""
    data = data.copy()
    picked = request.session.pop(f"compose_with:{project.pk}", [])
    for pk, role in Asset.objects.filter(project=project, pk__in=picked).values_list("pk", "role"):
        data.appendlist(f"input_{role}", str(pk))
    if not data.get("operation") and not data.getlist("input_product"):
        data["operation"] = _operation_for_roles(data)
    return data


def _operation_for_roles(data) -> str:
    """Without product photos, the operation that takes what was chosen: models for an AI model, garments for
    a try-on; references alone for image to image."""
    if data.getlist("input_garment"):
        return Operation.TRY_ON
    if data.getlist("input_model"):
        return Operation.AI_MODEL
    return Operation.IMAGE_TO_IMAGE if data.getlist("input_reference") else Operation.WASH


class PresetForm(forms.Form):
    preset_name = forms.CharField(required=False, strip=False)
    param_prompt = forms.CharField(required=False, strip=False)


@login_required
@require_POST
def preset_save(request, project_id: int):
    """Saves the composer's prompt under a name (htmx); answers with the presets bar."""
    project, _membership = get_project_for_user(request, project_id, edit=True)
    require_active(project)
    context = {"project": project}
    form = PresetForm(request.POST)
    form.is_valid()  # two text fields: the service says what is wrong with them, in its own words
    try:
        preset, created = preset_services.preset_save(
            project=project, name=form.cleaned_data["preset_name"], text=form.cleaned_data["param_prompt"],
            user=request.user,
        )  # fmt: skip
    except ValidationError as invalid:
        context["preset_errors"] = {field: " ".join(errors) for field, errors in invalid.message_dict.items()}
        context["preset_name"] = form.cleaned_data["preset_name"]
    else:
        message = _("Saved “%(name)s”.") if created else _("Replaced “%(name)s” with this prompt.")
        context["preset_message"] = message % {"name": preset.name}
    return _render_presets(request, context)


@login_required
@require_POST
def preset_delete(request, project_id: int, preset_id: int):
    project, _membership = get_project_for_user(request, project_id, edit=True)
    require_active(project)
    preset = preset_services.preset_delete(project=project, preset_id=preset_id)
    context = {"project": project}
    if preset:
        context["preset_message"] = _("Deleted “%(name)s”.") % {"name": preset.name}
    return _render_presets(request, context)


def _render_presets(request, context):
    context["presets"] = list(context["project"].presets.all())
    return render(request, "runs/compose.html#presets", context)


@login_required
@require_POST
def estimate(request, project_id: int):
    """The live price and every rule's message, as the form changes (htmx); nothing is charged."""
    project, _membership = get_project_for_user(request, project_id, edit=True)
    offering = _offering(request.POST)
    if offering is None:
        return HttpResponse("")
    composition = read_composition(offering=offering, project=project, data=request.POST)
    price = _price(project, offering, composition, request.user)
    context = {"project": project, "composition": composition, "oob": True, **price}
    return render(request, "runs/compose.html#estimate", context)


@login_required
@require_POST
def submit(request, project_id: int):
    project, _membership = get_project_for_user(request, project_id, edit=True)
    require_active(project)
    offering = _offering(request.POST)
    if offering is None:
        messages.error(request, _("Choose an operation and a vendor first."))
        return redirect("runs:compose", project_id=project.pk)
    composition = read_composition(offering=offering, project=project, data=request.POST)
    try:
        run = runs_submit(
            project=project, offering=offering, user=request.user, calls=plan_calls(composition),
            submit_key=_submit_key(request.POST),
        )  # fmt: skip
    except (InvalidParameters, InsufficientPoints, OfferingUnavailable, MonthlyLimitReached) as refused:
        return _render_composer(request, project, request.POST, refused=refused, status=400)
    except AlreadySubmitted as sent:
        messages.info(request, _("This job was started already, by the same form sent twice: here it is."))
        return redirect("runs:detail", run_id=sent.run.pk)
    messages.success(
        request,
        ngettext("Started: %(n)d image for %(points)s points.", "Started: %(n)d images for %(points)s points.",
                 run.outputs_expected) % {"n": run.outputs_expected, "points": run.points_charged},
    )  # fmt: skip
    return redirect("runs:detail", run_id=run.pk)


SUBMIT_TOKEN = re.compile(r"[0-9a-f]{32}")
NARROWED_ROLES = ("product", "garment", "model", "background", "mask")


def _submit_key(data) -> str:
    """The form's one-time token and a digest of everything else it sends: sent twice as it was, it is the same
    key (one run); changed and sent again from the same page, it is another job."""
    token = data.get("submit_token", "")
    if not SUBMIT_TOKEN.fullmatch(token):
        return ""
    fields = sorted((name, value) for name, values in data.lists() for value in values
                    if name not in ("submit_token", "csrfmiddlewaretoken"))  # fmt: skip
    return f"{token}:{hashlib.sha256(repr(fields).encode()).hexdigest()[:16]}"


def _offering(data) -> Offering | None:
    pk = data.get("offering", "")
    if not pk.isdigit():
        return None
    return (
        Offering.objects.filter(pk=pk, enabled=True, account__enabled=True, operation=data.get("operation"))
        .select_related("account")
        .first()
    )


def _render_composer(request, project, data, *, refused=None, status=200):
    operation = data.get("operation") if data.get("operation") in Operation.values else Operation.WASH
    offerings = list(
        Offering.objects.filter(operation=operation, enabled=True, account__enabled=True).select_related("account")
    )
    offering = next((o for o in offerings if str(o.pk) == data.get("offering")), offerings[0] if offerings else None)
    composition = read_composition(offering=offering, project=project, data=data) if offering else None
    available = dict(
        Offering.objects.filter(enabled=True, account__enabled=True).values_list("operation").annotate(n=Count("id"))
    )
    assets = list(
        Asset.objects.filter(project=project).only("pk", "role", "original_name", "width", "height", "byte_size")
    )
    context = {
        "project": project,
        "operation": operation,
        "operations": [(value, label, available.get(value, 0)) for value, label in Operation.choices],
        "offerings": offerings,
        "offering": offering,
        "composition": composition,
        "assets": assets,
        "role_counts": Counter(asset.role for asset in assets),
        "used_assets": set(RunInput.objects.filter(run__project=project).values_list("asset_id", flat=True).distinct()),
        # Pickers that start showing only their own role's images, all but the references': product photos
        # are what a reference, or an image-to-image input, usually is.
        "narrowed_roles": NARROWED_ROLES,
        "upload_max_files": settings.UPLOAD_MAX_FILES,
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        "catalogues": _catalogues(offering, composition),
        "catalogue_kinds": offering.account.adapter_type.catalogues if offering else {},
        "placement": composition.placement() if composition else {},
        "balance": points_balance(team=project.team),
        "presets": list(project.presets.all()),
        "submit_token": data.get("submit_token") if SUBMIT_TOKEN.fullmatch(data.get("submit_token", "")) else "",
    }
    context["submit_token"] = context["submit_token"] or uuid.uuid4().hex
    if composition is not None:
        context.update(_price(project, offering, composition, request.user))
        if refused is None:
            context["errors"] = _without_unfilled(context["errors"], composition)
    if refused is not None:
        context["errors"] = getattr(refused, "field_errors", {}) or {"general": str(refused)}
    template = "runs/compose.html#composer" if request.htmx and not refused else "runs/compose.html"
    return render(request, template, context, status=status)


def _price(project, offering, composition, user) -> dict:
    budget_top_up(team=project.team)
    balance = points_balance(team=project.team)
    try:
        estimate = runs_estimate(offering=offering, calls=plan_calls(composition))
    except InvalidParameters as invalid:
        return {"errors": invalid.field_errors, "balance": balance}
    except OfferingUnavailable as unavailable:
        return {"errors": {"general": str(unavailable)}, "balance": balance}
    adapter = offering.account.adapter()
    warnings = list(dict.fromkeys(w for request in estimate.requests for w in adapter.warnings(request)))
    left = member_points_left(user=user, team=project.team)
    over_limit = None
    if left is not None and estimate.points > left[0]:
        over_limit = str(MonthlyLimitReached(needed=estimate.points, left=left[0], limit=left[1]))
    main_role = composition.main_role
    inputs = len(composition.selected[main_role]) if main_role else 0
    return {
        "estimate": estimate,
        "main_role": main_role,
        "inputs": inputs,
        "per_input": estimate.outputs // inputs if inputs > 1 and estimate.outputs % inputs == 0 else None,
        "warnings": warnings,
        "calls": len(estimate.requests),
        "balance": balance,
        "balance_after": balance - estimate.points,
        "shortfall": max(0, estimate.points - balance),
        "over_limit": over_limit,
        "errors": {},
    }


def _without_unfilled(errors: dict, composition) -> dict:
    """A form just drawn (a new page, another operation) does not scold for what nobody has filled in yet."""
    filled = {role for role, assets in composition.selected.items() if assets}
    filled |= {name for name, value in composition.values.items() if value != ""}
    return {field: message for field, message in errors.items() if field in filled or field == "general"}


def _catalogues(offering, composition) -> dict:
    """The vendor's face and background lists (lingtu) for the parameters that pick from them."""
    if offering is None or composition is None:
        return {}
    names = {param.name for param in composition.parameters}
    catalogues = offering.account.adapter_type.catalogues
    return {param: catalogue_items(offering.account, kind) for param, kind in catalogues.items() if param in names}


@login_required
@require_GET
def catalogue_preview(request, account_id: int, kind: str, item_id: str):
    """A vendor catalogue preview, fetched by the studio: the browser never talks to vendors."""
    if not request.memberships:
        return HttpResponse(status=404)
    account = get_object_or_404(VendorAccount, pk=account_id, enabled=True)
    if kind not in account.adapter_type.catalogues.values():
        return HttpResponse(status=404)
    try:
        content = catalogue_image(account, kind, item_id)
    except VendorError:
        return HttpResponse(status=502)
    if content is None:
        return HttpResponse(status=404)
    response = HttpResponse(content, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


# Runs --------------------------------------------------------------------------------------------


RUNS_PER_PAGE = 50
IMAGES_ON_RUN_PAGE = 24  # the newest; the gallery pages through all of them
JOBS_PER_PAGE = 50


def _get_run_for_user(request, run_id: int, *, edit: bool = False) -> Run:
    run = get_object_or_404(Run.objects.select_related("project__team", "offering__account"), pk=run_id)
    get_project_for_user(request, run.project_id, edit=edit)
    return run


@login_required
@require_GET
def run_list(request, project_id: int):
    """Newest first, a page at a time (keyset: the page after a run starts below it); counts come from the
    runs' own counters, so a page costs the same however many tasks and images the runs have."""
    project, membership = get_project_for_user(request, project_id)
    runs = Run.objects.filter(project=project).select_related("offering__account", "created_by")
    before = Run.objects.filter(project=project, pk=whole_number(request.GET.get("before"))).first()
    if before is not None:
        runs = runs.filter(Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, pk__lt=before.pk))
    page = list(runs.order_by("-created_at", "-pk")[: RUNS_PER_PAGE + 1])
    context = {
        "project": project,
        "membership": membership,
        "runs": page[:RUNS_PER_PAGE],
        "older": page[RUNS_PER_PAGE - 1].pk if len(page) > RUNS_PER_PAGE else None,
        "paged": before is not None,
        "retry": services.project_retry_preview(project=project) if membership.can_edit else None,
    }
    return render(request, "runs/list.html", context)


@login_required
@require_POST
def project_retry(request, project_id: int):
    """Sends again every failed and canceled job of the project's finished runs, priced on the runs page."""
    project, _membership = get_project_for_user(request, project_id, edit=True)
    require_active(project)
    try:
        sent = services.runs_retry_failed_in_project(project=project, user=request.user)
    except (InsufficientPoints, MonthlyLimitReached) as refused:
        messages.error(request, str(refused))
    else:
        if sent.tasks:
            messages.success(request, ngettext(
                "Retrying %(n)s job in %(runs)s runs, charged %(points)s points again.",
                "Retrying %(n)s jobs in %(runs)s runs, charged %(points)s points again.",
                sent.tasks,
            ) % {"n": sent.tasks, "runs": sent.runs, "points": sent.points})  # fmt: skip
        else:
            messages.info(request, _("No failed jobs are left to retry."))
    return redirect("runs:list", project_id=project.pk)


@login_required
@require_GET
def run_detail(request, run_id: int):
    run = _get_run_for_user(request, run_id)
    return render(request, "runs/detail.html", _progress(request, run))


@login_required
@require_GET
def run_progress(request, run_id: int):
    """Polled every 2 s while the run goes on; answers 286 (stop polling) once it is over."""
    run = _get_run_for_user(request, run_id)
    response = render(request, "runs/detail.html#progress", _progress(request, run))
    if run.is_finished:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _progress(request, run: Run) -> dict:
    """What the run page shows: counts from the run's counters, the newest images and one page of jobs,
    so it costs the same for a run of 10 images or of 10,000."""
    done = run.tasks_succeeded + run.tasks_partial
    failed, canceled = run.tasks_failed, run.tasks_canceled
    total = done + failed + canceled + run.tasks_uncertain + run.tasks_open
    newest = run.outputs.filter(kind=OutputKind.IMAGE).select_related("source_asset").order_by("-pk")
    jobs_after = whole_number(request.GET.get("jobs_after"))
    jobs = run.tasks.order_by("index")
    if jobs_after is not None:
        jobs = jobs.filter(index__gt=jobs_after)
    jobs = list(jobs[: JOBS_PER_PAGE + 1])
    end = run.finished_at or timezone.now()
    return {
        "run": run,
        "project": run.project,
        "tasks": jobs[:JOBS_PER_PAGE],
        "jobs_after": jobs_after,
        "next_jobs": jobs[JOBS_PER_PAGE - 1].index if len(jobs) > JOBS_PER_PAGE else None,
        "outputs": list(newest[:IMAGES_ON_RUN_PAGE]),
        "extras": list(run.outputs.exclude(kind=OutputKind.IMAGE).order_by("pk")[:IMAGES_ON_RUN_PAGE]),
        "done": done,
        "failed": failed,
        "canceled": canceled,
        "retryable": failed + canceled,
        "uncertain": run.tasks_uncertain,
        "total": total,
        "percent": round(100 * (total - run.tasks_open) / total) if total else 100,
        "elapsed": int((end - run.created_at).total_seconds()),
        "can_edit": request.memberships[run.project.team_id].can_edit and not run.project.is_archived,
        "advice": ERROR_ADVICE,
    }


@login_required
@require_POST
def run_cancel(request, run_id: int):
    run = _get_run_for_user(request, run_id, edit=True)
    services.runs_cancel(run=run)
    messages.success(request, _("Canceling: waiting jobs are dropped and refunded; jobs at the vendor finish or stop."))
    return redirect("runs:detail", run_id=run.pk)


@login_required
@require_POST
def run_retry(request, run_id: int):
    run = _get_run_for_user(request, run_id, edit=True)
    return _send_again(request, run, services.RETRYABLE_TASK_STATES, lambda n: ngettext(
        "Retrying %(n)d job, charged %(points)s points again.",
        "Retrying %(n)d jobs, charged %(points)s points again.",
        n,
    ))  # fmt: skip


@login_required
@require_POST
def run_resend_uncertain(request, run_id: int):
    """A person's explicit choice to send again jobs the vendor may already have made (and charged)."""
    run = _get_run_for_user(request, run_id, edit=True)
    if request.POST.get("accept_double_charge") != "yes":
        messages.error(request, _("Tick the box to confirm that the vendor may charge these jobs twice."))
        return redirect("runs:detail", run_id=run.pk)
    return _send_again(request, run, (TaskState.UNCERTAIN,), lambda n: ngettext(
        "Sending %(n)d uncertain job again, charged %(points)s points again.",
        "Sending %(n)d uncertain jobs again, charged %(points)s points again.",
        n,
    ))  # fmt: skip


def _send_again(request, run: Run, states, message_for):
    try:
        sent, points = services.runs_retry_failed(run=run, user=request.user, states=states)
    except (InsufficientPoints, MonthlyLimitReached) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, message_for(sent) % {"n": sent, "points": points})
    return redirect("runs:detail", run_id=run.pk)


@login_required
@require_GET
def output_file(request, output_id: int, variant: str):
    output = get_object_or_404(Output.objects.select_related("run"), pk=output_id)
    get_project_for_user(request, output.run.project_id)
    if variant == "thumbnail" and output.thumbnail:
        return serve_stored_file(output.thumbnail, "image/webp")
    download = request.GET.get("download") == "1"
    name = f"run{output.run_id}-{output.task.index}-{output.index}.{output.file.name.rsplit('.', 1)[-1]}"
    return serve_stored_file(output.file, output.content_type, download_name=name if download else None)
