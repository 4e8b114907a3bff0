"""Pieces the apps' Django admin classes share."""


class ReadOnlyAdminMixin:
    """For records that are history (ledger entries, review events): shown in Django admin, never changed there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
