"""Vendor accounts in the studio's own pages: address, write-only keys, limits, connection test, balance."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio.accounts.access import require_operator
from studio.audit.models import AuditAction
from studio.audit.services import audit_record, plain
from studio.runs.models import ACTIVE_TASK_STATES, Task, task_vendor_cost
from studio.vendors.catalogue import KINDS
from studio.vendors.forms import VendorAccountForm, credential_names, secret_field
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.services import account_check_connection, account_refresh_balance, offerings_load

COST_DAYS = 30
RECENT_TASKS = 15


@login_required
@require_GET
def account_list(request):
    require_operator(request)
    since = timezone.now() - timedelta(days=COST_DAYS)
    in_flight = _by_account(Task.objects.filter(state__in=ACTIVE_TASK_STATES), Count("id"))
    cost = _by_account(Task.objects.filter(finished_at__gte=since), Sum(task_vendor_cost()))
    enabled = _by_account(Offering.objects.filter(enabled=True), Count("id"))
    accounts = list(VendorAccount.objects.all())
    for account in accounts:
        account.in_flight, account.vendor_cost = in_flight.get(account.pk, 0), cost.get(account.pk)
        account.offerings_enabled = enabled.get(account.pk, 0)
    context = {"section": "vendors", "accounts": accounts, "kinds": KINDS, "cost_days": COST_DAYS}
    return render(request, "console/vendors.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    require_operator(request)
    kind = request.POST.get("kind") or request.GET.get("kind")
    if kind not in KINDS:
        messages.error(request, _("Choose which vendor the account is for."))
        return redirect("console:vendors")
    form = _form(request, VendorAccount(kind=kind, enabled=False))
    del form.fields["enabled"]  # off until its first test connection works (vendors/services.py)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            account = form.save()
            offerings_load(account=account)
            audit_record(
                actor=request.user, action=AuditAction.ACCOUNT_CREATED, target=account,
                kind=account.kind, base_url=account.base_url,
            )  # fmt: skip
        messages.success(request, _(
            "Added “%(name)s” with its offerings, switched off: test the connection, and it switches on when the "
            "test works.") % {"name": account.name})  # fmt: skip
        return redirect("console:vendor", account_id=account.pk)
    return render(request, "console/vendor_form.html", {"section": "vendors", "form": form, "kind": kind})


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request, account_id: int):
    require_operator(request)
    account = get_object_or_404(VendorAccount, pk=account_id)
    form = _form(request, account)
    if request.method == "POST" and form.is_valid():
        changes = {
            name: [plain(form.initial.get(name)), plain(form.cleaned_data[name])]
            for name in form.changed_data
            if not name.startswith("credential_")
        }
        with transaction.atomic():
            account = form.save()
            if changes:
                audit_record(actor=request.user, action=AuditAction.ACCOUNT_CHANGED, target=account, **changes)
            if form.replaced_credentials:
                audit_record(
                    actor=request.user, action=AuditAction.CREDENTIALS_REPLACED, target=account,
                    fields=", ".join(form.replaced_credentials),
                )  # fmt: skip
        messages.success(request, _("Saved “%(name)s”.") % {"name": account.name})
        return redirect("console:vendor", account_id=account.pk)
    recent = account.tasks.select_related("run__project__team").order_by("-created_at")[:RECENT_TASKS]
    context = {"section": "vendors", "form": form, "account": account, "kind": account.kind, "recent": recent}
    return render(request, "console/vendor_form.html", context)


@login_required
@require_POST
def account_test(request, account_id: int):
    require_operator(request)
    account = get_object_or_404(VendorAccount, pk=account_id)
    account_check_connection(account=account)
    return render(request, "console/vendor_form.html#status", {"account": account})


@login_required
@require_POST
def account_balance(request, account_id: int):
    require_operator(request)
    account = get_object_or_404(VendorAccount, pk=account_id)
    account_refresh_balance(account=account)
    account.refresh_from_db()
    return render(request, "console/vendor_form.html#status", {"account": account})


def _by_account(queryset, aggregate) -> dict[int, int]:
    # order_by(): Task's default ordering (by run) would join every run into the sums.
    return dict(queryset.order_by().values("account").annotate(value=aggregate).values_list("account", "value"))


def _form(request, account: VendorAccount) -> VendorAccountForm:
    form = VendorAccountForm(request.POST or None, instance=account)
    del form.fields["kind"]  # chosen when the account is added; tasks and offerings depend on it
    stored = account.has_credentials
    for name in credential_names(account.kind):
        form.fields[f"credential_{name}"] = secret_field(name, stored=stored)
    return form
