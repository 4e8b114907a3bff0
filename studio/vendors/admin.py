from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.vendors.forms import VendorAccountForm, credential_names, secret_field
from studio.vendors.models import Offering, VendorAccount


@admin.register(VendorAccount)
class VendorAccountAdmin(admin.ModelAdmin):
    form = VendorAccountForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "kind", "base_url", "enabled", "max_concurrent_tasks", "credentials_status"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["credentials_status"]

    def get_form(self, request, obj=None, **kwargs):
        # One password field per secret any vendor needs; the form keeps only the chosen vendor's.
        secret_fields = {f"credential_{name}": secret_field(name) for name in credential_names()}
        kwargs["form"] = type("VendorAccountWithSecretsForm", (VendorAccountForm,), secret_fields)
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return [
            *VendorAccountForm.Meta.fields,
            *(f"credential_{name}" for name in credential_names()),
            "credentials_status",
        ]

    @admin.display(description=_("credentials"))
    def credentials_status(self, account: VendorAccount) -> str:
        if not account.has_credentials:
            return _("not set")
        when = account.credentials_updated_at.strftime("%Y-%m-%d %H:%M")
        return _("set, encrypted (last replaced %(when)s)") % {"when": when}


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["label", "operation", "account", "model", "points", "enabled"]
    list_editable = ["points", "enabled"]
    list_filter = ["operation", "account__kind", "enabled"]
    search_fields = ["label", "model"]
