from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from studio.accounts.models import Membership, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["team"]


@admin.register(User)
class StudioUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = [*UserAdmin.list_display, "is_operator"]
    list_filter = [*UserAdmin.list_filter, "is_operator"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            _("Studio"),
            {"fields": ["is_operator"], "description": _("Operators manage vendors, prices and every team.")},
        ),
    ]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    inlines = [MembershipInline]
