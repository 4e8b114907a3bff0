"""From the composer's form to vendor calls: which parameters, which inputs, how many calls.

Fan-out: when an operation takes one main input per call (upscale takes one product) and the user
picked several, each gets its own call; an operation that takes many at once (a wash takes up to 100
products) gets them all in one call, and the adapter splits by the vendor's own limit. "Repeat"
runs each call several times, for vendors without a count parameter of their own.
"""

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from studio.assets.models import Asset
from studio.projects.models import Project
from studio.runs.services import PlannedCall, PlannedInput
from studio.vendors.base import InputSpec, InvalidParameters
from studio.vendors.models import Offering
from studio.vendors.params import Param
from studio.vendors.vendor_catalogues import catalogue_choice_errors

MAX_REPEAT = 10
PLACEMENT = ("x", "y", "width", "height")


@dataclass
class Composition:
    offering: Offering
    parameters: list[Param]
    specs: list[InputSpec]
    values: dict[str, str]  # what the user typed, to show back
    selected: dict[str, list[Asset]]  # role → chosen assets
    options: dict[int, dict] = field(default_factory=dict)  # asset id → its options (garment type, placement)
    repeat: int = 1
    repeat_text: str = "1"  # as typed, to show back
    repeat_error: str = ""  # a count out of range is refused, not quietly changed

    @property
    def has_own_count(self) -> bool:
        count_param = self.offering.account.adapter_type.count_param
        return any(param.name == count_param for param in self.parameters)

    def placement(self) -> dict[str, int]:
        """Where the product sits on the canvas: as chosen, else centred at 60 % of the canvas."""
        for asset in self.selected.get("product", []):
            chosen = self.options.get(asset.pk, {})
            if all(name in chosen for name in PLACEMENT):
                return {name: chosen[name] for name in PLACEMENT}
        width, height = _whole(self.values.get("width"), 1024), _whole(self.values.get("height"), 1024)
        return {"x": width // 5, "y": height // 5, "width": width * 3 // 5, "height": height * 3 // 5}


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
    if repeat_text.isdecimal() and 1 <= int(repeat_text) <= MAX_REPEAT:
        repeat, repeat_error = int(repeat_text), ""
    else:
        repeat, repeat_error = 1, _("Must be a whole number between 1 and %(max)d.") % {"max": MAX_REPEAT}
    return Composition(offering, parameters, specs, values, selected, options, repeat, repeat_text, repeat_error)


def plan_calls(composition: Composition) -> list[PlannedCall]:
    if composition.repeat_error and not composition.has_own_count:
        raise InvalidParameters({"repeat": composition.repeat_error})
    canvas = (_whole(composition.values.get("width"), 1024), _whole(composition.values.get("height"), 1024))
    if errors := catalogue_choice_errors(composition.offering.account, composition.values, canvas):
        raise InvalidParameters(errors)  # before anything is charged: the vendor would refuse it at send
    params = {name: value for name, value in composition.values.items() if value != ""}
    fan_out = next(
        (spec.role for spec in composition.specs if spec.max == 1 and len(composition.selected[spec.role]) > 1), None
    )
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
