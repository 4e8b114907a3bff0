"""Review history in Django admin: read only, as every change is also the audit trail."""

from django.contrib import admin

from studio.core.admin import ReadOnlyAdminMixin
from studio.review.models import ReviewEvent


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "output", "actor", "from_state", "to_state", "reason"]
    list_filter = ["to_state"]
    list_select_related = ["output", "actor"]
    search_fields = ["output__id", "actor__username", "reason"]
    date_hierarchy = "created_at"
