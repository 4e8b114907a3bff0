import json
import os

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.vendors.catalogue import KINDS, adapter_class, label_in_reader_language, points_per_output
from studio.vendors.crypto import KeysNotForThisAddress, decrypt_credentials, encrypt_credentials
from studio.vendors.operations import Operation

KEYS_DESTINATION = "__destination__"  # stored beside the keys, encrypted with them

VendorKind = models.TextChoices("VendorKind", [(kind.upper(), kind) for kind in KINDS])


class VendorAccount(models.Model):
    """Our account at one vendor: where to reach it, its (encrypted) keys and how hard we may push it."""

    kind = models.CharField(_("vendor"), max_length=16, choices=VendorKind.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    base_url = models.URLField(_("base URL"), max_length=300)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    credentials_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    max_concurrent_tasks = models.PositiveSmallIntegerField(_("max concurrent tasks"), default=4)
    # How many of its tasks hold a slot now (Task.holds_slot), kept by the run engine: finding free slots
    # reads one row per account, however many tasks are in flight.
    slots_in_use = models.IntegerField(default=0, editable=False)
    poll_interval_seconds = models.FloatField(
        _("poll interval (seconds)"), null=True, blank=True, help_text=_("Empty: the vendor's recommended interval.")
    )
    task_deadline_seconds = models.PositiveIntegerField(
        _("task deadline (seconds)"), null=True, blank=True,
        help_text=_("From the vendor's acceptance to giving up on a result. Empty: the vendor's documented time."),
    )  # fmt: skip
    options = models.JSONField(_("options"), default=dict, blank=True)
    balance_warning_below = models.PositiveIntegerField(
        _("warn below"), null=True, blank=True,
        help_text=_("Warn when the vendor reports fewer points (suchuang) or package runs (hdredraw) than this."),
    )  # fmt: skip
    vendor_balance = models.JSONField(default=dict, blank=True, editable=False)  # as the vendor last reported it
    vendor_balance_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_check = models.JSONField(default=dict, blank=True, editable=False)  # the last "test connection"
    # A new account stays off until its first test connection works; then it is turned on, once.
    connection_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def key_destination(self) -> str:
        """Where the keys go: the base URL, and the signing scheme for vendors that have a choice of them."""
        signer = self.options.get("signer", "") if isinstance(self.options, dict) else ""
        return f"{self.base_url.rstrip('/')} {signer}"

    @property
    def credentials(self) -> dict[str, str]:
        """The keys, only for the destination they were saved for: stored with them, under the same encryption,
        so that no change of address (a form, the admin, the database) can send them anywhere else."""
        values = decrypt_credentials(self.credentials_encrypted)
        if values and values.pop(KEYS_DESTINATION, None) != self.key_destination:
            raise KeysNotForThisAddress("the keys were saved for another address: enter them again")
        return values

    def set_credentials(self, values: dict[str, str]) -> None:
        self.credentials_encrypted = encrypt_credentials({**values, KEYS_DESTINATION: self.key_destination})
        self.credentials_updated_at = timezone.now()

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    @property
    def balance_is_low(self) -> bool:
        left = self.vendor_balance.get("points")
        if left is None:
            left = self.vendor_balance.get("remaining_count")
        return self.balance_warning_below is not None and left is not None and left < self.balance_warning_below

    @property
    def poll_interval(self) -> float:
        return self.poll_interval_seconds or adapter_class(self.kind).default_poll_interval

    @property
    def adapter_type(self):
        """The adapter class: what this vendor can do (lost-task recovery, cancel, catalogues, cost unit…)."""
        return adapter_class(self.kind)

    @property
    def task_deadline(self) -> int:
        return self.task_deadline_seconds or self.adapter_type.default_deadline_seconds

    def adapter(self):
        """This account's adapter, one per process: its HTTP client keeps connections to the vendor alive."""
        key = (os.getpid(), self.pk, self.kind, self.base_url, self.credentials_encrypted,
               json.dumps(self.options, sort_keys=True))  # fmt: skip
        adapter = _ADAPTERS.get(key)
        if adapter is None:
            make = adapter_class(self.kind)
            adapter = make(base_url=self.base_url, credentials=self.credentials, options=self.options)
            if self.pk is not None:
                if len(_ADAPTERS) >= 64:  # accounts change rarely; an edited one leaves its old entry behind
                    _ADAPTERS.clear()
                _ADAPTERS[key] = adapter
        return adapter


_ADAPTERS: dict[tuple, object] = {}


class Offering(models.Model):
    """One thing a user can buy: an operation done by a vendor account's model, at a points price."""

    account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="offerings")
    operation = models.CharField(_("operation"), max_length=32, choices=Operation.choices)
    model = models.CharField(_("model"), max_length=100, blank=True)
    label = models.CharField(_("label"), max_length=150)
    points = models.PositiveIntegerField(_("points per output"))
    price_by = models.JSONField(default=list, blank=True, help_text=_("Parameters the price depends on."))
    price_table = models.JSONField(default=dict, blank=True, help_text=_("Points per output by parameter values."))
    fixed_params = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["operation", "account__kind", "model"]
        constraints = [
            models.UniqueConstraint(fields=["account", "operation", "model"], name="one_offering_per_model"),
        ]

    def __str__(self) -> str:
        return f"{self.label} · {self.account.name}"

    @property
    def shown_label(self) -> str:
        """The label in the reader's language: a catalogue label is stored in English, as loaded."""
        return label_in_reader_language(self.account.kind, self.operation, self.model, self.label)

    def parameters(self):
        """The parameter schema of this operation and model, with the vendor's documented rules."""
        return adapter_class(self.account.kind)(base_url="", credentials={}).schema(self.operation, self.model)

    def input_specs(self):
        return adapter_class(self.account.kind)(base_url="", credentials={}).input_specs(self.operation, self.model)

    @property
    def price_span(self) -> str:
        """What one image costs, as a label: "4–8" when the price depends on parameters (imagewash's resolution)."""
        prices = sorted(set(self.price_table.values())) if self.price_by and self.price_table else [self.points]
        return str(prices[0]) if len(prices) == 1 else f"{prices[0]}–{prices[-1]}"

    def points_per_output(self, price_inputs: dict) -> int:
        return points_per_output(
            points=self.points, price_by=self.price_by, price_table=self.price_table, price_inputs=price_inputs
        )
