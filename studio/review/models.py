from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.runs.models import ReviewState


class ReviewEvent(models.Model):
    """One change of an output's review state: who, when, from what to what, and why (a rejection's reason)."""

    output = models.ForeignKey("runs.Output", on_delete=models.CASCADE, related_name="review_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_state = models.CharField(max_length=16, choices=ReviewState.choices)
    to_state = models.CharField(max_length=16, choices=ReviewState.choices)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["output", "-created_at"], name="review_event_output_recent")]

    def __str__(self) -> str:
        return f"Output {self.output_id}: {self.from_state} → {self.to_state}"
