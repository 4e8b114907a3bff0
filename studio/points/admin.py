"""The ledger is append-only: the admin shows wallets and entries but changes nothing.

Grants and adjustments go through studio.points.services, which write the entry and the balance together.
"""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from studio.core.admin import ReadOnlyAdminMixin
from studio.points.models import LedgerEntry, Wallet

ENTRY_FIELDS = ["created_at", "kind", "amount", "balance_after", "run_id", "reason", "created_by", "key"]
INLINE_ENTRIES = 50


class NewestEntriesFormSet(BaseInlineFormSet):
    """A busy wallet has thousands of entries: the wallet page shows the newest, the entry list has them all."""

    def get_queryset(self):
        if not hasattr(self, "_newest"):  # kept, so the formset's len() and [i] share one query
            self._newest = super().get_queryset()[:INLINE_ENTRIES]
        return self._newest


class LedgerEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    formset = NewestEntriesFormSet
    fields = ENTRY_FIELDS
    readonly_fields = ENTRY_FIELDS
    ordering = ["-created_at", "-id"]
    extra = 0
    verbose_name_plural = _("newest ledger entries")


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["team", "balance", "updated_at"]
    list_select_related = ["team"]
    search_fields = ["team__name"]
    fields = ["team", "balance", "updated_at", "all_entries"]
    readonly_fields = fields
    inlines = [LedgerEntryInline]

    @admin.display(description=_("ledger"))
    def all_entries(self, wallet):
        url = reverse("admin:points_ledgerentry_changelist") + f"?wallet__id__exact={wallet.pk}"
        return format_html('<a href="{}">{}</a>', url, _("All ledger entries of this wallet"))


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "team", "kind", "amount", "balance_after", "run_id", "reason", "created_by"]
    list_filter = ["kind", "created_at", ("wallet", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["wallet__team", "created_by"]
    search_fields = ["key", "reason", "wallet__team__name", "=run_id"]
    date_hierarchy = "created_at"
    fields = ["wallet", *ENTRY_FIELDS]
    readonly_fields = fields

    @admin.display(description=_("team"), ordering="wallet__team__name")
    def team(self, entry):
        return entry.wallet.team
