"""The spend report: points charged and refunded, images approved and vendor costs, grouped, charted, exported."""

from datetime import date, datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from studio.accounts.access import admin_team_ids, require_console
from studio.accounts.models import Team, User
from studio.console.spend_chart import PHONE, spend_chart
from studio.console.spend_selectors import (
    DEFAULT_GROUP,
    GROUPS,
    SpendFilters,
    SpendReport,
    spend_cost_unit,
    spend_report,
)
from studio.core.csv_export import csv_download
from studio.runs.models import Run
from studio.vendors.catalogue import KINDS
from studio.vendors.operations import Operation

CHART_TITLES = {
    "team": gettext_lazy("Net points by team"),
    "member": gettext_lazy("Net points by member"),
    "operation": gettext_lazy("Net points by operation"),
    "vendor": gettext_lazy("Net points by vendor"),
    "month": gettext_lazy("Net points by month"),
}


class MonthField(forms.CharField):
    default_error_messages = {"invalid": gettext_lazy("Enter a month as YYYY-MM, e.g. 2026-03.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            month = datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            month = None
        if month is None or not 1970 <= month.year < 9999:  # the next month and time zones must stay in range
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month


class SpendFilterForm(forms.Form):
    """The report's query string. A value it cannot use is left out and named above the report."""

    team = forms.TypedChoiceField(label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None)
    member = forms.TypedChoiceField(label=gettext_lazy("Member"), required=False, coerce=int, empty_value=None)
    operation = forms.ChoiceField(label=gettext_lazy("Operation"), required=False, choices=Operation.choices)
    vendor = forms.ChoiceField(label=gettext_lazy("Vendor"), required=False, choices=[(k, k) for k in KINDS])
    group = forms.ChoiceField(label=gettext_lazy("Group by"), required=False, choices=GROUPS.items())

    def __init__(self, *args, team_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.team_ids = tuple(team_ids)
        self.fields["from"] = MonthField(label=gettext_lazy("From"), required=False)  # "from" is a Python keyword
        self.fields["to"] = MonthField(label=gettext_lazy("To"), required=False)
        self.fields["team"].choices = list(Team.objects.filter(pk__in=team_ids).values_list("id", "name"))
        # The teams' members, and whoever ran jobs there before leaving.
        people = Q(memberships__team__in=team_ids) | Q(
            pk__in=Run.objects.filter(project__team__in=team_ids).values("created_by")
        )
        members = User.objects.filter(people).distinct().order_by("username").values_list("id", "username")
        self.fields["member"].choices = list(members)

    def filters(self) -> SpendFilters:
        """What was understood; `is_valid()` first. A month range given backwards is read forwards."""
        data = self.cleaned_data
        month_from, month_to = data.get("from"), data.get("to")
        if month_from and month_to and month_from > month_to:
            month_from, month_to = month_to, month_from
        return SpendFilters(
            team_id=data.get("team"), member_id=data.get("member"), operation=data.get("operation") or "",
            vendor=data.get("vendor") or "", group=data.get("group") or DEFAULT_GROUP,
            month_from=month_from, month_to=month_to, visible_team_ids=self.team_ids,
        )  # fmt: skip

    def ignored(self) -> list[str]:
        return [f"{self.fields[name].label}: {' '.join(errors)}" for name, errors in self.errors.items()]


@login_required
@require_GET
@vary_on_headers("HX-Request")
def spend_view(request):
    require_console(request)
    form = SpendFilterForm(request.GET, team_ids=admin_team_ids(request))
    form.is_valid()  # a value it cannot use is left out of the filters, and listed
    report = spend_report(filters=form.filters())
    if request.GET.get("format") == "csv":
        return _csv_response(report)
    context = {
        "section": "spend", "form": form, "report": report, "filters": report.filters, "ignored": form.ignored(),
        "chart": spend_chart(report.rows), "phone_chart": spend_chart(report.rows, **PHONE),
        "chart_title": CHART_TITLES[report.filters.group],
        "group_label": GROUPS[report.filters.group],
        "kinds": KINDS, "operations": Operation.choices, "groups": GROUPS.items(),
    }  # fmt: skip
    template = "console/spend.html#report" if request.htmx and not request.htmx.boosted else "console/spend.html"
    return render(request, template, context)


def _csv_response(report: SpendReport) -> HttpResponse:
    response, writer = csv_download(_csv_filename(report.filters))
    writer.writerow(_csv_header(report))
    for row in [*report.rows, report.total]:
        writer.writerow(_csv_row(report, row))
    return response


def _csv_header(report: SpendReport) -> list[str]:
    costs = [
        _("Vendor cost: %(vendor)s %(unit)s") % {"vendor": kind, "unit": spend_cost_unit(kind)}
        for kind in report.cost_kinds
    ]
    return [str(GROUPS[report.filters.group]), *_columns(), *costs]


def _csv_row(report: SpendReport, row) -> list:
    per_image = "" if row.points_per_approved is None else f"{row.points_per_approved:.1f}"
    figures = [row.runs, row.charged, row.refunded, row.net, row.delivered, row.approved]
    costs = [row.costs.get(kind, "") for kind in report.cost_kinds]
    return [row.label, *figures, per_image, *costs]


def _columns() -> list[str]:
    return [_("Runs"), _("Points charged"), _("Points refunded"), _("Net points"), _("Images delivered"),
            _("Images approved"), _("Points per approved image")]  # fmt: skip


def _csv_filename(filters: SpendFilters) -> str:
    def month(value: date | None) -> str:
        return value.strftime("%Y-%m") if value else ""

    if filters.month_from and filters.month_to:
        period = f"{month(filters.month_from)}-to-{month(filters.month_to)}"
    elif filters.month_from or filters.month_to:
        period = f"from-{month(filters.month_from)}" if filters.month_from else f"until-{month(filters.month_to)}"
    else:
        period = "all-time"
    return f"studio-spend-by-{filters.group}-{period}.csv"
