from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.vendors.catalogue import KINDS, adapter_class
from studio.vendors.models import Offering, VendorAccount


def _credential_names() -> list[str]:
    names: list[str] = []
    for kind in KINDS:
        for name in adapter_class(kind).credential_fields:
            if name not in names:
                names.append(name)
    return names


def _https_by_default(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class VendorAccountForm(forms.ModelForm):
    """Credentials are write-only: typed in, encrypted, never shown again. Empty fields keep what is stored."""

    class Meta:
        model = VendorAccount
        fields = ["kind", "name", "base_url", "enabled", "max_concurrent_tasks", "poll_interval_seconds", "options"]
        formfield_callback = _https_by_default
        help_texts = {
            "options": _(
                "Per vendor, as JSON. lingtu: signer = hmac (the default: X-App-Key and X-Signature, an HMAC-SHA256 "
                "of the body) or sdk (appId, timestamp, salt and sign headers). The scheme is an assumption, since "
                "lingtu's document does not describe it: pick the one in your contract. imagetasks: upload_files = "
                "true sends a single input as a file upload instead of its URL."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        wanted = adapter_class(kind).credential_fields
        stored = self.instance.credentials if self.instance.pk and self.instance.kind == kind else {}
        typed = {name: cleaned.get(f"credential_{name}", "") for name in wanted}
        merged = {name: typed[name] or stored.get(name, "") for name in wanted}
        missing = [name for name, value in merged.items() if not value]
        if missing:
            raise forms.ValidationError(_("Enter the %(names)s for this vendor.") % {"names": ", ".join(missing)})
        self.new_credentials = merged if any(typed.values()) or merged != stored else None
        return cleaned

    def save(self, commit=True):
        if getattr(self, "new_credentials", None):
            self.instance.set_credentials(self.new_credentials)
        return super().save(commit)


@admin.register(VendorAccount)
class VendorAccountAdmin(admin.ModelAdmin):
    form = VendorAccountForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "kind", "base_url", "enabled", "max_concurrent_tasks", "credentials_status"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["credentials_status"]

    def get_form(self, request, obj=None, **kwargs):
        # One password field per secret any vendor needs; the form keeps only the chosen vendor's.
        secret_fields = {
            f"credential_{name}": forms.CharField(
                label=name,
                required=False,
                strip=True,
                widget=forms.PasswordInput(render_value=False),
                help_text=_("Write-only: leave empty to keep the stored value."),
            )
            for name in _credential_names()
        }
        kwargs["form"] = type("VendorAccountWithSecretsForm", (VendorAccountForm,), secret_fields)
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return [
            *VendorAccountForm.Meta.fields,
            *(f"credential_{name}" for name in _credential_names()),
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
