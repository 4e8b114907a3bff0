"""The price list: every offering with its points per output (and per-parameter prices), switched on or off."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from studio.accounts.access import is_operator, require_console, require_operator
from studio.vendors.catalogue import KINDS
from studio.vendors.models import Offering
from studio.vendors.operations import Operation
from studio.vendors.services import MAX_POINTS, PriceInvalid, offering_update


@login_required
@require_GET
def price_list(request):
    require_console(request)
    operation, kind = request.GET.get("operation", ""), request.GET.get("vendor", "")
    offerings = Offering.objects.select_related("account")
    if operation in Operation.values:
        offerings = offerings.filter(operation=operation)
    if kind in KINDS:
        offerings = offerings.filter(account__kind=kind)
    context = {
        "section": "prices",
        "offerings": offerings,
        "operations": Operation.choices,
        "kinds": KINDS,
        "operation": operation,
        "vendor": kind,
        "can_change": is_operator(request),  # a team admin sees the prices, read only
    }
    return render(request, "console/prices.html", context)


class PriceForm(forms.Form):
    """An offering's price row: its points per output, one field per entry of its price table, and on/off."""

    enabled = forms.BooleanField(required=False)

    def __init__(self, data, *, offering: Offering):
        super().__init__(data)
        refused = _("A price is a whole number of points from 1 to %(max)s.") % {"max": MAX_POINTS}
        messages = {name: refused for name in ("required", "invalid", "min_value", "max_value")}
        for name in ("points", *(f"price_{key}" for key in offering.price_table)):
            self.fields[name] = forms.IntegerField(min_value=1, max_value=MAX_POINTS, error_messages=messages)
        self.offering = offering

    def price_table(self) -> dict[str, int]:
        return {key: self.cleaned_data[f"price_{key}"] for key in self.offering.price_table}


@login_required
@require_POST
def price_update(request, offering_id: int):
    require_operator(request)
    offering = get_object_or_404(Offering.objects.select_related("account"), pk=offering_id)
    context = {"offering": offering, "can_change": True}
    form = PriceForm(request.POST, offering=offering)
    if not form.is_valid():
        context["error"] = next(iter(form.errors.values()))[0]
        return render(request, "console/prices.html#row", context)
    try:
        changed = offering_update(
            offering=offering, points=form.cleaned_data["points"], price_table=form.price_table(),
            enabled=form.cleaned_data["enabled"], actor=request.user,
        )  # fmt: skip
    except PriceInvalid as invalid:
        context["error"] = str(invalid)
    else:
        context["message"] = _("Saved. New runs use it; runs already made keep their price.") if changed else ""
    return render(request, "console/prices.html#row", context)
