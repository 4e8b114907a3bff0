from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    ACCOUNT_CREATED = "account_created", _("Vendor account added")
    ACCOUNT_CHANGED = "account_changed", _("Vendor account changed")
    CREDENTIALS_REPLACED = "credentials_replaced", _("Vendor credentials replaced")
    PRICE_CHANGED = "price_changed", _("Price changed")
    OFFERING_SWITCHED = "offering_switched", _("Offering switched on or off")
    POINTS_GRANTED = "points_granted", _("Points granted")
    POINTS_DEDUCTED = "points_deducted", _("Points deducted")
    MEMBER_ADDED = "member_added", _("Member added")
    ROLE_CHANGED = "role_changed", _("Role changed")
    MEMBER_REMOVED = "member_removed", _("Member removed")
    LIMIT_CHANGED = "limit_changed", _("Monthly limit changed")
    TEAM_CREATED = "team_created", _("Team created")
    BUDGET_CHANGED = "budget_changed", _("Monthly budget changed")


class AuditEvent(models.Model):
    """One change an admin made, kept for good: who, when, what, and the values before and after.

    `details` never holds a secret: a credentials change records which fields were replaced, not their values.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    target = models.CharField(_("target"), max_length=200)  # what was changed, as a person reads it
    # The team the change is about (members, points); empty for studio-wide things (vendors, prices).
    # Admins of other teams do not see it.
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target}"
