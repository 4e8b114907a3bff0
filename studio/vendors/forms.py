"""The vendor account form, shared by the admin console and Django admin."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.vendors.catalogue import KINDS, adapter_class
from studio.vendors.crypto import DecryptionFailed
from studio.vendors.models import VendorAccount


def credential_names(kind: str | None = None) -> list[str]:
    """The secrets one vendor kind needs, or every kind's (Django admin shows them all)."""
    names: list[str] = []
    for each in [kind] if kind else KINDS:
        for name in adapter_class(each).credential_fields:
            if name not in names:
                names.append(name)
    return names


def secret_field(name: str, *, stored: bool = False) -> forms.CharField:
    attrs = {"autocomplete": "new-password", "placeholder": _("stored and hidden: type to replace") if stored else ""}
    return forms.CharField(
        label=name,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs=attrs),
        help_text=_("Write-only: leave empty to keep the stored value."),
    )


def _https_by_default(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class VendorAccountForm(forms.ModelForm):
    """Credentials are write-only: typed in, encrypted, never shown again. Empty fields keep what is stored."""

    class Meta:
        model = VendorAccount
        fields = [
            "kind", "name", "base_url", "enabled", "max_concurrent_tasks", "poll_interval_seconds",
            "task_deadline_seconds", "balance_warning_below", "options",
        ]  # fmt: skip
        formfield_callback = _https_by_default
        help_texts = {
            "options": _(
                "Per vendor, as JSON. lingtu: signer = hmac (the default: X-App-Key and X-Signature, an HMAC-SHA256 "
                "of the body) or sdk (appId, timestamp, salt and sign headers). The scheme is an assumption, since "
                "lingtu's document does not describe it: pick the one in your contract. imagetasks: upload_files = "
                "true sends a single input as a file upload instead of its URL. suchuang: time_zone (default "
                "Asia/Shanghai) is the zone of the task list's createTime, used to find tasks whose answer was lost."
            ),
        }

    new_credentials: dict[str, str] | None = None

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind") or self.instance.kind
        if not kind:
            return cleaned
        wanted = adapter_class(kind).credential_fields
        try:
            stored = self.instance.credentials if self.instance.pk and self.instance.kind == kind else {}
        except DecryptionFailed:
            stored = {}  # unreadable under the configured keys: every secret must be typed again
        typed = {name: cleaned.get(f"credential_{name}", "") for name in wanted}
        if stored and not all(typed.values()) and self._destination(cleaned) != self.instance.key_destination:
            raise forms.ValidationError(
                _("The address or signing scheme changed: enter every key again. Stored keys are only ever sent "
                  "to the address they were saved for.")
            )  # fmt: skip
        merged = {name: typed[name] or stored.get(name, "") for name in wanted}
        missing = [name for name, value in merged.items() if not value]
        if missing:
            raise forms.ValidationError(_("Enter the %(names)s for this vendor.") % {"names": ", ".join(missing)})
        self.new_credentials = merged if any(typed.values()) or merged != stored else None
        self.replaced_credentials = [name for name in wanted if typed[name]]
        return cleaned

    def _destination(self, cleaned) -> str:
        base_url, options = (
            cleaned.get("base_url", self.instance.base_url),
            cleaned.get("options", self.instance.options),
        )
        return VendorAccount(base_url=base_url or "", options=options or {}).key_destination

    def save(self, commit=True):
        if self.new_credentials:
            self.instance.set_credentials(self.new_credentials)
        return super().save(commit)
