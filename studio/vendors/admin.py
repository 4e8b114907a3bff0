from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.audit.models import AuditAction
from studio.audit.services import audit_record, plain
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

    def save_model(self, request, obj, form, change):
        """Changes made here land in the studio's audit log too, like those made in the console."""
        changes = {name: [plain(form.initial.get(name)), plain(form.cleaned_data.get(name))]
                   for name in form.changed_data if not name.startswith("credential_")}  # fmt: skip
        if not change:
            obj.enabled = False  # as in the console: on once its first test connection works
        super().save_model(request, obj, form, change)
        action = AuditAction.ACCOUNT_CHANGED if change else AuditAction.ACCOUNT_CREATED
        if changes:
            audit_record(actor=request.user, action=action, target=obj, via="django-admin", **changes)
        if getattr(form, "replaced_credentials", None):
            audit_record(
                actor=request.user, action=AuditAction.CREDENTIALS_REPLACED, target=obj, via="django-admin",
                fields=", ".join(form.replaced_credentials),
            )  # fmt: skip

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

    def save_model(self, request, obj, form, change):
        """Prices edited here are audited like the console's (which is where admins normally change them)."""
        before = Offering.objects.filter(pk=obj.pk).values("points", "price_table", "enabled").first() or {}
        super().save_model(request, obj, form, change)
        prices = {name: [before.get(name), getattr(obj, name)] for name in ("points", "price_table")
                  if before.get(name) != getattr(obj, name)}  # fmt: skip
        if prices:
            audit_record(actor=request.user, action=AuditAction.PRICE_CHANGED, target=obj, via="django-admin", **prices)
        if before and before["enabled"] != obj.enabled:
            audit_record(
                actor=request.user, action=AuditAction.OFFERING_SWITCHED, target=obj, via="django-admin",
                enabled=[before["enabled"], obj.enabled],
            )  # fmt: skip
