"""`manage.py benchmark pages`: the run page, its live progress and the project's Runs list as runs grow.

On a throw-away SQLite database (as the gallery benchmark makes it), through Django's test client in this
process (the whole server side: middleware, session, queries, template; no network):

- the run page and its progress partial (polled every 2 s while a run goes on) for one run of 10, 1,000 and
  10,000 images (10 per task, so 1, 100 and 1,000 tasks): queries and median / 95th-percentile time;
- the Runs list with 1, 10 and 100 runs of 1,000 tasks and 1,000 images each.

Targets: run page and progress ≤ 15 queries and p95 < 100 ms at 10,000 images; Runs list p95 < 100 ms at
100 runs × 1,000 tasks. Every figure is printed beside the smallest size's, so growth shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from studio.benchmarks.gallery import Timing, _throwaway_database, _time
from studio.benchmarks.upload import temporary_folder

IMAGES_PER_TASK = 10
RUN_SIZES = (10, 1_000, 10_000)  # images in the run
LIST_SIZES = (1, 10, 100)  # runs of LIST_RUN_TASKS tasks
LIST_RUN_TASKS = 1_000
MAX_QUERIES = 15
TARGET_P95_MS = 100


@dataclass
class PageFigure:
    page: str
    size: str
    queries: int
    timing: Timing

    @property
    def meets(self) -> bool:
        return self.queries <= MAX_QUERIES and self.timing.p95_ms < TARGET_P95_MS


def run_pages(*, keep: bool, log: Callable[[str], None]) -> list[PageFigure]:
    from django.test.utils import CaptureQueriesContext

    figures = []
    with temporary_folder(keep, log) as folder, _throwaway_database(folder, log):
        world = PagesWorld()
        client = world.client()

        def measure(page: str, size: str, url: str) -> None:
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            if response.status_code not in (200, 286):
                raise RuntimeError(f"{url} answered {response.status_code}")
            figures.append(PageFigure(page, size, len(queries), _time(client, page, url)))

        for images in RUN_SIZES:
            log(f"A run of {images:,} images …")
            run = world.add_run(tasks=images // IMAGES_PER_TASK, images_per_task=IMAGES_PER_TASK, running=True)
            measure("run page", f"{images:,} images", reverse("runs:detail", args=[run.pk]))
            measure("progress partial", f"{images:,} images", reverse("runs:progress", args=[run.pk]))
        world.clear()
        made = 0
        for runs in LIST_SIZES:
            log(f"{runs} runs of {LIST_RUN_TASKS:,} tasks …")
            while made < runs:
                world.add_run(tasks=LIST_RUN_TASKS, images_per_task=1, running=False)
                made += 1
            measure(
                "runs list", f"{runs} runs × {LIST_RUN_TASKS:,} tasks", reverse("runs:list", args=[world.project.pk])
            )
    return figures


class PagesWorld:
    def __init__(self):
        from studio.accounts.models import Membership, Role, Team, User
        from studio.projects.models import Project
        from studio.vendors.models import Offering, VendorAccount
        from studio.vendors.services import offerings_load

        team = Team.objects.create(name="Pages benchmark")
        self.user = User.objects.create_user(username="pages-benchmark")
        Membership.objects.create(user=self.user, team=team, role=Role.STAFF)
        self.project = Project.objects.create(team=team, name="Pages", created_by=self.user)
        self.account = VendorAccount.objects.create(kind="hdredraw", name="hd", base_url="https://vendor.invalid")
        offerings_load(account=self.account)
        self.offering = Offering.objects.get(account=self.account, operation="upscale")
        self.keys = 0

    def client(self) -> Client:
        client = Client()
        client.force_login(self.user)
        client.get(reverse("runs:list", args=[self.project.pk]))  # the first visit stores the team in the session
        return client

    def clear(self) -> None:
        from studio.runs.models import Run

        Run.objects.filter(project=self.project).delete()

    def add_run(self, *, tasks: int, images_per_task: int, running: bool):
        """A run as the worker leaves it: tasks done (the last one still at the vendor while `running`),
        their images stored, the counters kept."""
        from studio.runs.models import Output, Run, RunState, Task, TaskState

        now = timezone.now()
        open_tasks = 1 if running else 0
        run = Run.objects.create(
            project=self.project, offering=self.offering, operation="upscale", created_by=self.user,
            state=RunState.RUNNING if running else RunState.SUCCEEDED, finished_at=None if running else now,
            outputs_expected=tasks * images_per_task, points_charged=tasks * images_per_task * 4,
            tasks_open=open_tasks, tasks_succeeded=tasks - open_tasks,
            images_stored=(tasks - open_tasks) * images_per_task,
        )  # fmt: skip
        made = Task.objects.bulk_create(
            (Task(run=run, account=self.account, index=index, idempotency_key=f"pages-{self.keys + index}",
                  request={}, outputs_expected=images_per_task, points_per_output=4, next_action_at=now,
                  state=TaskState.RUNNING if running and index == tasks - 1 else TaskState.SUCCEEDED,
                  finished_at=None if running and index == tasks - 1 else now)
             for index in range(tasks)),
            batch_size=5_000,
        )  # fmt: skip
        self.keys += tasks
        Output.objects.bulk_create(
            (
                Output(
                    run=run,
                    project_id=run.project_id,
                    task=task,
                    index=n,
                    file=f"o/{task.pk}-{n}.png",
                    thumbnail=f"o/{task.pk}-{n}.webp",
                    content_type="image/png",
                    width=1024,
                    height=1024,
                    byte_size=1,
                    sha256="0" * 64,
                )
                for task in made[: tasks - open_tasks]
                for n in range(images_per_task)
            ),
            batch_size=5_000,
        )
        return run
