"""Review state changes: one output or many, each change written as a ReviewEvent beside the new state."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts.models import User
from studio.review.models import ReviewEvent
from studio.runs.models import Output, OutputKind, ReviewState

REASON_MAX = 500
BATCH = 500  # rows per UPDATE: SQLite caps the parameters of one statement


def output_review(*, output_id: int, actor: User, to_state: str, reason: str = "") -> ReviewEvent | None:
    """Sets one output's review state; returns the recorded change, or None when nothing changed."""
    events = outputs_review_bulk(
        outputs=Output.objects.filter(pk=output_id), actor=actor, to_state=to_state, reason=reason
    )
    return events[0] if events else None


def outputs_review_bulk(
    *, outputs: QuerySet[Output], actor: User, to_state: str, reason: str = ""
) -> list[ReviewEvent]:
    """Sets the review state of every image in `outputs`; one ReviewEvent per output that changed.

    An output already in that state (with the same reason) is left alone and gets no event.
    """
    if to_state not in ReviewState.values:
        raise ValidationError(_("Unknown review state."))
    reason = " ".join(reason.split())[:REASON_MAX] if to_state == ReviewState.REJECTED else ""
    now = timezone.now()
    events = []
    with transaction.atomic():
        # Locks the rows: two reviewers acting on the same output at once must each see the state the other
        # left, or the history would record a change "from pending" twice. (On SQLite the IMMEDIATE
        # transaction already serialises writers; select_for_update is for PostgreSQL.)
        current = (
            Output.objects.filter(pk__in=outputs.values("pk"), kind=OutputKind.IMAGE)
            .select_for_update()
            .order_by("pk")
            .values_list("pk", "review_state", "review_reason")
        )
        changed = [(pk, state) for pk, state, old_reason in current if (state, old_reason) != (to_state, reason)]
        for batch in _batches(changed, BATCH):
            ids = [pk for pk, _state in batch]
            Output.objects.filter(pk__in=ids).update(
                review_state=to_state,
                review_reason=reason,
                reviewed_by=actor if to_state != ReviewState.PENDING else None,
                reviewed_at=now if to_state != ReviewState.PENDING else None,
            )
            events += ReviewEvent.objects.bulk_create(
                ReviewEvent(
                    output_id=pk, actor=actor, from_state=state, to_state=to_state, reason=reason, created_at=now
                )
                for pk, state in batch
            )
    return events


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
