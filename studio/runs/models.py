"""A run is one composed job; its tasks are its vendor calls; its outputs are the images it made.

Every task change is written before the vendor is called and after it answers, so a worker killed
at any moment leaves a state to resume from (see studio/runs/worker.py).
"""

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from studio.vendors.operations import Operation


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partially_succeeded", _("Partially succeeded")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")


TERMINAL_RUN_STATES = (RunState.SUCCEEDED, RunState.PARTIAL, RunState.FAILED, RunState.CANCELED)


class Run(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="runs")
    offering = models.ForeignKey("vendors.Offering", on_delete=models.PROTECT, related_name="runs")
    operation = models.CharField(max_length=32, choices=Operation.choices)
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=24, choices=RunState.choices, default=RunState.QUEUED)
    outputs_expected = models.PositiveIntegerField(default=0)
    points_charged = models.PositiveIntegerField(default=0)  # the hold at submit (plus any retry holds)
    points_refunded = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    # How many of its current tasks (a retried task is replaced by its retry) are in each state: kept by the
    # worker as each task ends, so neither settling a run nor showing it ever counts its tasks.
    tasks_open = models.PositiveIntegerField(default=0)
    tasks_succeeded = models.PositiveIntegerField(default=0)
    tasks_partial = models.PositiveIntegerField(default=0)
    tasks_failed = models.PositiveIntegerField(default=0)
    tasks_canceled = models.PositiveIntegerField(default=0)
    tasks_uncertain = models.PositiveIntegerField(default=0)
    images_stored = models.PositiveIntegerField(default=0)  # its Output rows of kind IMAGE, kept by output_store

    # The composer form's one-time token with a digest of what it asked for: the same form sent twice (a double
    # click, a resend after a lost answer) makes one run, not two.
    submit_key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["project", "-created_at"], name="run_project_recent"),
            # The Activity page and the notices: open runs, runs finished lately, a person's runs that ended.
            models.Index(fields=["-created_at"], condition=models.Q(finished_at__isnull=True), name="run_open"),
            models.Index(fields=["-finished_at"], name="run_finished"),
            models.Index(fields=["created_by", "finished_at"], name="run_creator_finished"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "submit_key"], condition=~models.Q(submit_key=""), name="run_submitted_once"
            )
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.operation})"

    @property
    def is_finished(self) -> bool:
        return self.state in TERMINAL_RUN_STATES


class RunInput(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="inputs")
    asset = models.ForeignKey("assets.Asset", on_delete=models.PROTECT, related_name="run_inputs")
    role = models.CharField(max_length=16)
    options = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.role} {self.asset_id} of run {self.run_id}"


class TaskState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SUBMITTING = "submitting", _("Sending")
    RECOVERING = "recovering", _("Looking for it at the vendor")  # its submit answer was lost
    RUNNING = "running", _("At the vendor")
    COLLECTING = "collecting", _("Storing results")
    SUCCEEDED = "succeeded", _("Done")
    PARTIAL = "partially_succeeded", _("Partly done")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")
    UNCERTAIN = "uncertain", _("Uncertain at the vendor")  # sent, answer lost, not found again: refunded


TERMINAL_TASK_STATES = (
    TaskState.SUCCEEDED, TaskState.PARTIAL, TaskState.FAILED, TaskState.CANCELED, TaskState.UNCERTAIN,
)  # fmt: skip
UNCERTAIN = "uncertain"  # Task.error_class of a task whose submit may or may not have made a vendor task
ACTIVE_TASK_STATES = (TaskState.SUBMITTING, TaskState.RECOVERING, TaskState.RUNNING, TaskState.COLLECTING)
# The Run counter of each terminal state.
TASK_COUNTERS = {
    TaskState.SUCCEEDED: "tasks_succeeded",
    TaskState.PARTIAL: "tasks_partial",
    TaskState.FAILED: "tasks_failed",
    TaskState.CANCELED: "tasks_canceled",
    TaskState.UNCERTAIN: "tasks_uncertain",
}


class Task(models.Model):
    """One vendor call of a run, from submit through polling to its stored outputs."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="tasks")
    account = models.ForeignKey("vendors.VendorAccount", on_delete=models.PROTECT, related_name="tasks")
    index = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=100, unique=True)
    request = models.JSONField()  # model, params and inputs (asset ids, roles, options) of the vendor call
    state = models.CharField(max_length=24, choices=TaskState.choices, default=TaskState.PENDING)
    outputs_expected = models.PositiveIntegerField()
    points_per_output = models.PositiveIntegerField()
    vendor_task_id = models.CharField(max_length=200, blank=True)
    submitted_details = models.JSONField(default=dict, blank=True)  # what the submit said, for later polls
    result = models.JSONField(default=dict, blank=True)  # the terminal answer's files and details
    attempts = models.PositiveIntegerField(default=0)
    next_action_at = models.DateTimeField()
    # One of its vendor account's slots (max_concurrent_tasks): taken when a waiting task is claimed to be
    # sent, kept while the vendor has it, given back when it ends or waits again (studio/runs/engine.py).
    holds_slot = models.BooleanField(default=False)
    claimed_until = models.DateTimeField(null=True, blank=True)  # a worker process is on it until then
    claim_token = models.CharField(max_length=32, blank=True)  # which enqueued step may act on it
    claimed_by = models.CharField(max_length=100, blank=True)  # the process that renews the claim
    sent_at = models.DateTimeField(null=True, blank=True)  # the first submit left for the vendor
    submitted_at = models.DateTimeField(null=True, blank=True)  # the vendor accepted it (or we found it there)
    deadline_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_class = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    raw_response = models.JSONField(null=True, blank=True)
    retried_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retry_of")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="task_index_unique_in_run")]
        indexes = [
            # The engine's claims read only open tasks, however many finished ones there are.
            models.Index(fields=["next_action_at"], condition=models.Q(holds_slot=True), name="task_due_in_slot"),
            models.Index(
                fields=["account", "next_action_at"],
                condition=models.Q(state="pending", holds_slot=False),
                name="task_due_waiting",
            ),
            models.Index(fields=["claimed_by"], condition=~models.Q(claimed_by=""), name="task_claimed_by"),
        ]

    def __str__(self) -> str:
        return f"Task {self.run_id}/{self.index} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in TERMINAL_TASK_STATES


def task_vendor_cost(prefix: str = ""):
    """What the vendor said it charged for a task (task.result["cost"], its own unit), for Sum() in a query."""
    return Cast(KT(f"{prefix}result__cost"), models.IntegerField())


class OutputKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VECTOR = "vector", _("Vector")
    GRID = "grid", _("Grid preview")
    ALTERNATIVE = "alternative", _("Alternative")


class ReviewState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


NO_PRODUCT = "\uffff"  # the product name an output made from no product sorts under: after every name


class OutputManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        objs = [output.with_product_sort() for output in objs]
        return super().bulk_create(objs, *args, **kwargs)


class Output(models.Model):
    """One stored result file: the bytes the vendor sent, verified, plus a thumbnail."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="outputs")
    # The run's project, kept here too: the gallery reads a project's newest outputs from one index,
    # without joining every run of the project and sorting all their outputs.
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="outputs")
    index = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=OutputKind.choices, default=OutputKind.IMAGE)
    source_asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255, blank=True)
    content_type = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    byte_size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    review_state = models.CharField(max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING)
    # The latest review (studio/review keeps every change as a ReviewEvent); empty while pending.
    review_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The source product's name and id, kept here: the gallery sorted and grouped by product walks an index
    # instead of joining every output to its product and sorting them all (set on save and bulk_create).
    sort_product_name = models.CharField(max_length=255, default=NO_PRODUCT, editable=False)
    sort_product_id = models.BigIntegerField(default=0, editable=False)

    objects = OutputManager()

    class Meta:
        ordering = ["run", "task__index", "index"]
        constraints = [models.UniqueConstraint(fields=["task", "index"], name="output_index_unique_in_task")]
        indexes = [
            models.Index(fields=["run", "kind", "review_state"], name="output_gallery"),
            models.Index(fields=["project", "created_at", "id"], name="output_project_newest"),
            models.Index(
                fields=["project", "sort_product_name", "sort_product_id", "-created_at", "-id"],
                name="output_project_product",
            ),
        ]

    def __str__(self) -> str:
        return f"Output {self.task_id}/{self.index} ({self.kind})"

    def save(self, *args, **kwargs):
        self.with_product_sort()
        super().save(*args, **kwargs)

    def with_product_sort(self) -> "Output":
        if self.source_asset_id and self.sort_product_id != self.source_asset_id:
            self.sort_product_name, self.sort_product_id = self.source_asset.original_name, self.source_asset_id
        return self
