"""From the composer's form to vendor calls: which parameters, which inputs, how many calls.

Fan-out: when an operation takes one main input per call (upscale takes one product) and the user
picked several, each gets its own call; an operation that takes many at once (a wash takes up to 100
products) gets them all in one call, and the adapter splits by the vendor's own limit. "Repeat"
runs each call several times, for vendors without a count parameter of their own. Either way a job
takes at most MAX_JOB_INPUTS images of a role, and makes at most MAX_JOB_OUTPUTS images.
"""

from dataclasses import dataclass, field

from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import QueryDict
from django.utils.translation import gettext as _

from studio.assets.models import Asset
from studio.projects.models import Project
from studio.runs.services import PlannedCall, PlannedInput
from studio.vendors.base import MAX_JOB_INPUTS, InputSpec, InvalidParameters, input_count_errors
from studio.vendors.models import Offering
from studio.vendors.params import Param
from studio.vendors.vendor_catalogues import catalogue_choice_errors

MAX_REPEAT = 10
PLACEMENT = ("x", "y", "width", "height")


class ParamField(forms.Field):
    """A form field whose rules and messages are a vendor parameter's (studio/vendors/params.py): the composer
    says exactly what the adapter would, from the one declaration."""

    def __init__(self, param: Param):
        super().__init__(required=False, label=param.label or param.name)
        self.param = param

    def clean(self, value):
        try:
            return self.param.clean(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


def settings_form(parameters: list[Param], data: dict) -> forms.Form:
    """The composer's settings as a Django form built from the offering's parameter schema, with the repeat."""
    repeat_refused = _("Must be a whole number between 1 and %(max)d.") % {"max": MAX_REPEAT}
    fields = {f"param_{param.name}": ParamField(param) for param in parameters}
    fields["repeat"] = forms.IntegerField(
        min_value=1, max_value=MAX_REPEAT, required=False,
        error_messages={"invalid": repeat_refused, "min_value": repeat_refused, "max_value": repeat_refused},
    )  # fmt: skip
    return type("SettingsForm", (forms.Form,), fields)(data)


@dataclass
class Composition:
    offering: Offering
    parameters: list[Param]
    specs: list[InputSpec]
    values: dict[str, str]  # what the user typed, to show back
    selected: dict[str, list[Asset]]  # role → chosen assets
    settings: forms.Form  # the values and the repeat, checked by the parameters' own rules
    options: dict[int, dict] = field(default_factory=dict)  # asset id → its options (garment type, placement)

    @property
    def repeat_text(self) -> str:
        """As typed, to show back."""
        return self.settings.data["repeat"]

    @property
    def repeat(self) -> int:
        self.settings.is_valid()
        return self.settings.cleaned_data.get("repeat") or 1

    def errors(self) -> dict[str, str]:
        """Every broken rule by field (parameter or input role), before any price or vendor call."""
        found = {name.removeprefix("param_"): " ".join(messages) for name, messages in self.settings.errors.items()}
        if self.has_own_count:
            found.pop("repeat", None)  # the vendor's own count parameter is shown instead
        counts = {role: len(assets) for role, assets in self.selected.items()}
        if fan_out := self.fan_out_role:
            counts[fan_out] = 1  # one call per image
        found.update(input_count_errors(self.specs, counts))
        for role, assets in self.selected.items():
            if len(assets) > MAX_JOB_INPUTS:
                found[role] = _(
                    "One job takes at most %(max)s images here, and %(count)s are chosen. "
                    "Start several jobs of up to %(max)s."
                ) % {"max": intcomma(MAX_JOB_INPUTS), "count": intcomma(len(assets))}
        return found

    @property
    def pickers(self) -> list[InputSpec]:
        """The roles to choose images for: a role the operation takes none of (max 0) is not offered."""
        return [spec for spec in self.specs if spec.max > 0]

    @property
    def fan_out_role(self) -> str | None:
        """The role that takes one image per call while several are chosen: each gets its own call."""
        return next((spec.role for spec in self.specs if spec.max == 1 and len(self.selected[spec.role]) > 1), None)

    @property
    def main_role(self) -> str | None:
        """The role a job is counted by ("320 products × 2"): the one fanned out or split over vendor calls."""
        split = (spec.role for spec in self.specs if spec.per_call and self.selected[spec.role])
        return self.fan_out_role or next(split, None)

    @property
    def has_own_count(self) -> bool:
        count_param = self.offering.account.adapter_type.count_param
        return any(param.name == count_param for param in self.parameters)

    def placement(self) -> dict[str, int]:
        """Where the product sits on the canvas: as chosen, else centred in its own proportions, as large as
        fits in 60 % of the canvas each way (an 800×1000 cut-out is not squashed into a square)."""
        products = self.selected.get("product", [])
        for asset in products:
            chosen = self.options.get(asset.pk, {})
            if all(name in chosen for name in PLACEMENT):
                return {name: chosen[name] for name in PLACEMENT}
        width, height = _whole(self.values.get("width"), 1024), _whole(self.values.get("height"), 1024)
        product_width, product_height = (products[0].width, products[0].height) if products else (1, 1)
        scale = min(width * 3 / 5 / product_width, height * 3 / 5 / product_height)
        box = {"width": max(1, round(product_width * scale)), "height": max(1, round(product_height * scale))}
        return {"x": (width - box["width"]) // 2, "y": (height - box["height"]) // 2, **box}


def read_composition(*, offering: Offering, project: Project, data: QueryDict) -> Composition:
    parameters = offering.parameters()
    specs = offering.input_specs()
    values = {param.name: data.get(f"param_{param.name}", "") for param in parameters}
    shown = set(data.get("params_shown", "").split())
    for param in parameters:
        if param.kind == "bool" and param.name in shown:  # an unticked box sends nothing: "false", not "default"
            values[param.name] = "true" if data.get(f"param_{param.name}") else "false"
    wanted = {spec.role: [int(v) for v in data.getlist(f"input_{spec.role}") if v.isdigit()] for spec in specs}
    assets = Asset.objects.filter(project=project).in_bulk([pk for pks in wanted.values() for pk in pks])
    selected = {role: [assets[pk] for pk in pks if pk in assets] for role, pks in wanted.items()}
    options = {}
    for asset in (asset for chosen in selected.values() for asset in chosen):
        if data.get(f"type_{asset.pk}"):
            options[asset.pk] = {"type": data[f"type_{asset.pk}"]}
    placement = {name: data.get(f"place_{name}", "") for name in PLACEMENT}
    if all(placement.values()):
        for asset in selected.get("product", []):
            options[asset.pk] = {**options.get(asset.pk, {}), **placement}
    repeat_text = data.get("repeat", "").strip() or "1"
    form = settings_form(
        parameters, {**{f"param_{name}": value for name, value in values.items()}, "repeat": repeat_text}
    )
    return Composition(offering, parameters, specs, values, selected, form, options)


def plan_calls(composition: Composition) -> list[PlannedCall]:
    if errors := composition.errors():
        raise InvalidParameters(errors)
    canvas = (_whole(composition.values.get("width"), 1024), _whole(composition.values.get("height"), 1024))
    if errors := catalogue_choice_errors(composition.offering.account, composition.values, canvas):
        raise InvalidParameters(errors)  # before anything is charged: the vendor would refuse it at send
    cleaned = composition.settings.cleaned_data
    params = {param.name: cleaned[f"param_{param.name}"] for param in composition.parameters
              if cleaned.get(f"param_{param.name}") is not None}  # fmt: skip
    fan_out = composition.fan_out_role
    for spec in composition.specs:
        if spec.max == 1 and spec.role != fan_out and len(composition.selected[spec.role]) > 1:
            raise InvalidParameters({spec.role: _("Only one image can be chosen here.")})

    def planned(asset: Asset, role: str) -> PlannedInput:
        return PlannedInput(asset, role, composition.options.get(asset.pk, {}))

    shared = tuple(
        planned(asset, role) for role, assets in composition.selected.items() if role != fan_out for asset in assets
    )
    if fan_out:
        calls = [PlannedCall(params, (planned(asset, fan_out), *shared)) for asset in composition.selected[fan_out]]
    else:
        calls = [PlannedCall(params, shared)]
    repeat = 1 if composition.has_own_count else composition.repeat
    return [call for call in calls for _ in range(repeat)]


def _whole(value, default: int) -> int:
    try:
        return max(1, int(float(value)))
    except (TypeError, ValueError, OverflowError):  # OverflowError: "inf"; int("nan") is a ValueError
        return default


def form_from_run(run) -> QueryDict:
    """A finished run as the composer's form, to run it again with changes."""
    data = QueryDict(mutable=True)
    data["operation"] = run.operation
    data["offering"] = str(run.offering_id)
    for name, value in run.params.items():
        data[f"param_{name}"] = "true" if value is True else "false" if value is False else str(value)
    data["params_shown"] = " ".join(run.params)
    for run_input in run.inputs.all():
        data.appendlist(f"input_{run_input.role}", str(run_input.asset_id))
        if "type" in run_input.options:
            data[f"type_{run_input.asset_id}"] = run_input.options["type"]
        if all(name in run_input.options for name in PLACEMENT):
            for name in PLACEMENT:
                data[f"place_{name}"] = str(run_input.options[name])
    return data
