"""Runs with their tasks and outputs, written straight to the database, for the spend report's tests.

`spend_world` is five runs across two teams, three members, three operations, two vendors and two months:

| run | team   | member | operation     | vendor    | month   | charged/refunded | images (approved) | vendor cost |
|-----|--------|--------|---------------|-----------|---------|------------------|-------------------|-------------|
| 1   | Acme   | sam    | wash          | imagewash | 2026-01 | 100 / 20         | 4 (3)             | 50+30 coins |
| 2   | Acme   | ada    | text_to_image | suchuang  | 2026-01 | 60 / 0           | 2 (2) + a vector  | 45 points   |
| 3   | Acme   | sam    | upscale       | suchuang  | 2026-02 | 30 / 20          | 1 (0)             | none        |
| 4   | Globex | olga   | wash          | imagewash | 2026-02 | 200 / 50         | 5 (1, 1 rejected) | 150 + none  |
| 5   | Globex | olga   | text_to_image | suchuang  | 2026-02 | 40 / 10          | 1 (0)             | 30 points   |
"""

import itertools
from datetime import UTC, datetime

import pytest

from studio.accounts.models import Membership, Role
from studio.projects.models import Project
from studio.runs.models import Output, OutputKind, ReviewState, Run, RunState, Task
from studio.vendors.models import Offering, VendorAccount

_serial = itertools.count()


def offering_for(kind: str, operation: str) -> Offering:
    account, _ = VendorAccount.objects.get_or_create(kind=kind, name=f"{kind} main", base_url="https://vendor.invalid")
    offering, _ = Offering.objects.get_or_create(
        account=account, operation=operation, model="", defaults={"label": operation, "points": 10}
    )
    return offering


def make_run(
    *, project, user, offering, created_at, charged, refunded, costs=(None,), images=0, approved=0, rejected=0, extras=0
) -> Run:
    """A finished run: one task per entry of `costs` (the vendor-reported cost, None when it said nothing)."""
    run = Run.objects.create(
        project=project, offering=offering, operation=offering.operation, state=RunState.SUCCEEDED,
        points_charged=charged, points_refunded=refunded, created_by=user,
    )  # fmt: skip
    Run.objects.filter(pk=run.pk).update(created_at=created_at)  # created_at is set on insert; move it back
    tasks = [
        Task.objects.create(
            run=run,
            account=offering.account,
            index=index,
            idempotency_key=f"spend-{next(_serial)}",
            request={},
            outputs_expected=1,
            points_per_output=10,
            next_action_at=created_at,
            result={} if cost is None else {"cost": cost},
        )  # fmt: skip
        for index, cost in enumerate(costs)
    ]
    states = [ReviewState.APPROVED] * approved + [ReviewState.REJECTED] * rejected
    states += [ReviewState.PENDING] * (images - len(states))
    kinds = [(OutputKind.IMAGE, state) for state in states] + [(OutputKind.VECTOR, ReviewState.PENDING)] * extras
    for index, (kind, state) in enumerate(kinds):
        Output.objects.create(
            run=run,
            project_id=run.project_id,
            task=tasks[0],
            index=index,
            kind=kind,
            review_state=state,
            file=f"out/{run.pk}-{index}.png",
            content_type="image/png",
            byte_size=100,
            sha256="0" * 64,
        )
    return run


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def spend_world(team, other_team, staff, admin, outsider):
    Membership.objects.create(user=admin, team=other_team, role=Role.ADMIN)  # ada manages both teams' spend
    acme = Project.objects.create(team=team, name="Acme shop", created_by=staff)
    globex = Project.objects.create(team=other_team, name="Globex shop", created_by=outsider)
    wash, t2i = offering_for("imagewash", "wash"), offering_for("suchuang", "text_to_image")
    upscale = offering_for("suchuang", "upscale")
    make_run(project=acme, user=staff, offering=wash, created_at=at(2026, 1, 10), charged=100, refunded=20,
             costs=(50, 30), images=4, approved=3)  # fmt: skip
    make_run(project=acme, user=admin, offering=t2i, created_at=at(2026, 1, 20), charged=60, refunded=0,
             costs=(45,), images=2, approved=2, extras=1)  # fmt: skip
    make_run(project=acme, user=staff, offering=upscale, created_at=at(2026, 2, 3), charged=30, refunded=20,
             images=1)  # fmt: skip
    make_run(project=globex, user=outsider, offering=wash, created_at=at(2026, 2, 14), charged=200, refunded=50,
             costs=(150, None), images=5, approved=1, rejected=1)  # fmt: skip
    make_run(project=globex, user=outsider, offering=t2i, created_at=at(2026, 2, 28, 23), charged=40,
             refunded=10, costs=(30,), images=1)  # fmt: skip
    return {"acme": acme, "globex": globex, "team_ids": (team.pk, other_team.pk)}
