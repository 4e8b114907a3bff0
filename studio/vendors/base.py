"""The one shape every vendor adapter speaks, whatever its vendor's wire format.

The worker only ever sees these value objects: a normalized task state, result files with their
kind, and errors carrying a class from which it alone decides whether to retry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import IO, Any, ClassVar

from studio.vendors.operations import Operation
from studio.vendors.params import Param, clean_params


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partially_succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self in (Status.SUCCEEDED, Status.PARTIAL, Status.FAILED, Status.CANCELED)


class ErrorClass(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    INVALID_PARAMETERS = "invalid_parameters"
    RATE_LIMITED = "rate_limited"  # also "queue full": wait and try again
    TRANSIENT = "transient"  # network trouble, 5xx, malformed answers: try again
    PERMANENT = "permanent"  # the vendor refused this task for good

    @property
    def is_retryable(self) -> bool:
        return self in (ErrorClass.RATE_LIMITED, ErrorClass.TRANSIENT)


class Outcome(StrEnum):
    """What the vendor can have done with a call, which alone decides whether a submit may be sent again."""

    NOT_SENT = "not_sent"  # the request never reached the vendor (connect, DNS, TLS): safe to send again
    REFUSED = "refused"  # a well-formed answer said no (4xx, 429, a business code): no task was made
    UNKNOWN = "unknown"  # sent, but no trustworthy answer (timeout, reset, cut body, 500/502/504): it may exist


class LostTaskRecovery(StrEnum):
    """How a task whose submit answer was lost can be found again at the vendor."""

    RESEND = "resend"  # the same request id gives the same task (lingtu's requestId): send it again
    TASK_LIST = "task_list"  # the vendor lists our tasks: find the lost one there (suchuang)
    NONE = "none"  # no documented way: the task stops as "uncertain at the vendor"


class FileKind(StrEnum):
    IMAGE = "image"
    VECTOR = "vector"
    GRID = "grid"
    ALTERNATIVE = "alternative"


CONNECTION_CHECK_TASK_ID = "studio-connection-check"


class VendorError(Exception):
    """A vendor call that did not work. `message` is the vendor's own words (secrets redacted)."""

    def __init__(
        self,
        error_class: ErrorClass,
        message: str,
        *,
        code: str | int | None = None,
        http_status: int | None = None,
        field_errors: dict[str, str] | None = None,
        outcome: Outcome | None = None,
    ):
        super().__init__(message)
        self.error_class = error_class
        self.message = message
        self.code = code
        self.http_status = http_status
        self.field_errors = field_errors or {}
        self.outcome = outcome or _outcome_of(error_class, http_status)

    def __repr__(self) -> str:
        return (
            f"VendorError({self.error_class}, {self.message!r}, code={self.code!r}, "
            f"http_status={self.http_status}, outcome={self.outcome})"
        )

    @property
    def may_resend(self) -> bool:
        """A submit may be sent again as it is only when the vendor surely made no task and asks us to wait."""
        return self.error_class.is_retryable and self.outcome != Outcome.UNKNOWN


def _outcome_of(error_class: ErrorClass, http_status: int | None) -> Outcome:
    """A transient error is an answer we cannot trust (a 500, a cut or unparsable body), except 503 "busy".

    Adapters say REFUSED explicitly for transient refusals they recognise (a vendor that could not fetch
    our input), and the HTTP client says NOT_SENT when it never reached the vendor.
    """
    if error_class == ErrorClass.TRANSIENT and http_status != 503:
        return Outcome.UNKNOWN
    return Outcome.REFUSED


class InvalidParameters(VendorError):
    """Raised before any call: what the user chose breaks a rule the vendor documents."""

    def __init__(self, field_errors: dict[str, str]):
        message = "; ".join(f"{name}: {error}" for name, error in field_errors.items())
        super().__init__(ErrorClass.INVALID_PARAMETERS, message, field_errors=field_errors)


class NotSupported(Exception):
    """The vendor has no such endpoint (for example cancel anywhere but lingtu)."""


@dataclass(frozen=True)
class ResultFile:
    url: str
    kind: FileKind = FileKind.IMAGE
    source: str = ""  # the vendor's pointer to the input it was made from (a product URL, a child id), if given


@dataclass(frozen=True)
class Balance:
    """What the vendor says is left on our account there: points, a count of runs, money."""

    points: int | None = None
    remaining_count: int | None = None
    remaining_money: float | None = None


@dataclass
class TaskState:
    status: Status
    vendor_task_id: str = ""
    record_ids: list[str] = field(default_factory=list)
    files: list[ResultFile] = field(default_factory=list)
    progress: int | None = None  # percent, when the vendor says
    cost: int | None = None  # what the vendor charged for it, in its own unit
    balance: Balance | None = None
    error: VendorError | None = None  # why a failed task failed
    details: dict[str, Any] = field(default_factory=dict)  # e.g. generated_prompt, failed child count
    raw: Any = None  # the vendor's answer as received, for the task's record


@dataclass(frozen=True)
class VendorTaskRecord:
    """One task as the vendor's own records list it, for the vendor-side spend check."""

    vendor_task_id: str
    created_at: datetime
    status: Status
    cost: int | None  # what the vendor charged for it, in its own unit (0 once it refunded a failure)


@dataclass(frozen=True)
class InputImage:
    """One input of a request. URL vendors fetch `url` (signed, expiring); upload vendors read `open()`."""

    role: str
    url: str
    name: str = "image.png"
    content_type: str = "image/png"
    open: Callable[[], IO[bytes]] | None = None
    options: dict[str, Any] = field(default_factory=dict)  # garment type, placement on a canvas…


@dataclass(frozen=True)
class SubmitRequest:
    operation: Operation
    model: str
    params: dict[str, Any]
    inputs: tuple[InputImage, ...] = ()
    idempotency_key: str = ""

    def inputs_with_role(self, role: str) -> list[InputImage]:
        return [image for image in self.inputs if image.role == role]


MAX_JOB_INPUTS = 2000  # Studio's bound on one job's images of one role, whatever the vendor takes per call


@dataclass(frozen=True)
class InputSpec:
    """How many inputs of one role an operation takes.

    `per_call` is set for a role the adapter's split() spreads over several vendor calls: the vendor takes
    `per_call` at once, a job takes up to `max` (Studio's own bound, MAX_JOB_INPUTS).
    """

    role: str
    min: int = 1
    max: int = 1
    label: str = ""
    per_call: int | None = None


class Adapter(ABC):
    """Base of every vendor adapter. A subclass builds its vendor's requests and reads its answers.

    What a vendor can do is declared here, once, by its adapter; the worker, the composer and the
    reports ask the adapter instead of keeping lists of vendor names.
    """

    kind: ClassVar[str]
    default_poll_interval: ClassVar[float] = 3.0
    credential_fields: ClassVar[tuple[str, ...]] = ()
    lost_task_recovery: ClassVar[LostTaskRecovery] = LostTaskRecovery.NONE
    can_cancel: ClassVar[bool] = False
    catalogues: ClassVar[dict[str, str]] = {}  # parameter → the adapter method listing its choices ("faces")
    count_param: ClassVar[str | None] = None  # the vendor's own "how many images per input" parameter
    cost_unit: ClassVar[Any] = ""  # the unit of TaskState.cost ("coins", "points"); "" if the vendor says none
    default_deadline_seconds: ClassVar[int] = 15 * 60  # from the vendor's acceptance to giving up on a result
    # The longest prompt sent. No vendor document gives one; these are ours, well above what a product
    # prompt needs and below where a vendor would be likely to cut or refuse it (README: Jobs and vendors).
    prompt_max_length: ClassVar[int] = 2000

    def __init__(self, *, base_url: str, credentials: dict[str, str], http=None, options: dict | None = None):
        from studio.vendors.http import VendorHttp

        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.options = options or {}
        self.http = http or VendorHttp(secrets=[value for value in credentials.values() if value])

    # What can be asked -------------------------------------------------------------------------

    @abstractmethod
    def parameters(self, operation: Operation, model: str) -> list[Param]:
        """The parameters a user can set for this operation and model, with their documented rules."""

    def schema(self, operation: Operation, model: str) -> list[Param]:
        """`parameters`, with every prompt held to this vendor's prompt_max_length: what forms show and check."""
        return [
            replace(param, max_length=self.prompt_max_length)
            if param.kind == "text" and "prompt" in param.name and param.max_length is None
            else param
            for param in self.parameters(operation, model)
        ]

    @abstractmethod
    def input_specs(self, operation: Operation, model: str) -> list[InputSpec]:
        """The inputs this operation takes, by role."""

    def validate(self, request: SubmitRequest) -> SubmitRequest:
        """Checks every documented rule before any call; returns the request with cleaned parameters."""
        errors: dict[str, str] = {}
        try:
            params = clean_params(self.schema(request.operation, request.model), request.params)
        except InvalidParameters as invalid:
            errors.update(invalid.field_errors)
            params = request.params
        specs = self.input_specs(request.operation, request.model)
        errors.update(
            input_count_errors(specs, {spec.role: len(request.inputs_with_role(spec.role)) for spec in specs})
        )
        if errors:
            raise InvalidParameters(errors)
        cleaned = SubmitRequest(request.operation, request.model, params, request.inputs, request.idempotency_key)
        self.check_rules(cleaned)
        return cleaned

    def check_rules(self, request: SubmitRequest) -> None:
        """Rules that span several parameters or inputs; raise InvalidParameters."""
        return None

    def warnings(self, request: SubmitRequest) -> list[str]:
        """Content the vendor expects but does not check (lingtu's transparent cut-out): told, not blocked."""
        return []

    def price_inputs(self, request: SubmitRequest) -> dict[str, Any]:
        """The values an offering's price table is keyed by (an adapter may add derived ones)."""
        return dict(request.params)

    def output_count(self, request: SubmitRequest) -> int:
        """How many images this one vendor call should give back (what points are charged for)."""
        return 1

    def split(self, request: SubmitRequest) -> list[SubmitRequest]:
        """One request per vendor call; a vendor with a per-call limit splits here."""
        return [request]

    # Calls -------------------------------------------------------------------------------------

    @abstractmethod
    def submit(self, request: SubmitRequest) -> TaskState:
        """Sends the task. The answer may already be terminal (some vendors finish at once)."""

    @abstractmethod
    def poll(self, vendor_task_id: str, *, submitted: dict[str, Any] | None = None) -> TaskState:
        """Asks for the task's state and, when done, its result files.

        `submitted` is the `details` of the submit's TaskState, kept by the worker: some vendors'
        answers only make sense next to what the submit said (imagewash's items, to map results).
        """

    def cancel(self, vendor_task_id: str) -> bool:
        raise NotSupported(f"{self.kind} cannot cancel a task")

    def find_lost_task(
        self, request: SubmitRequest, *, sent_at: datetime, lost_at: datetime, known_ids: set[str]
    ) -> TaskState | None:
        """The task a submit made although its answer was lost, for LostTaskRecovery.TASK_LIST vendors.

        It was made between `sent_at` and `lost_at`; `known_ids` are vendor tasks that are already ours.
        Returns None when the vendor lists no such task (yet); raises VendorError when it cannot be asked.
        """
        raise NotSupported(f"{self.kind} cannot find a lost task")

    def list_tasks(self, *, since: datetime) -> list[VendorTaskRecord]:
        """Every task the vendor made on our account since then, where it keeps a list (suchuang)."""
        raise NotSupported(f"{self.kind} does not list its tasks")

    def balance(self) -> Balance | None:
        """The vendor-side balance, where the vendor has an endpoint for it."""
        return None

    def check_connection(self) -> str:
        """Calls the cheapest real endpoint; returns a short description or raises VendorError.

        The default looks up the status of a task that cannot exist: "not found" means the vendor
        accepted our key; a refused key, an unreachable host or any other answer raises.
        """
        from django.utils.translation import gettext

        from studio.vendors.errors import is_not_found

        try:
            self.poll(CONNECTION_CHECK_TASK_ID)
        except VendorError as error:
            if not is_not_found(error):
                raise
        return gettext("The vendor accepted the key.")


def input_count_errors(specs: list[InputSpec], counts: dict[str, int]) -> dict[str, str]:
    """Each role given too few or too many images, with what it needs."""
    return {
        spec.role: _count_message(spec, counts.get(spec.role, 0))
        for spec in specs
        if not spec.min <= counts.get(spec.role, 0) <= spec.max
    }


def _count_message(spec: InputSpec, count: int) -> str:
    from django.utils.translation import gettext as _

    label = spec.label or spec.role
    if spec.min == spec.max:
        return _("%(label)s: exactly %(n)d needed, %(count)d given.") % {"label": label, "n": spec.min, "count": count}
    return _("%(label)s: between %(min)d and %(max)d needed, %(count)d given.") % {
        "label": label,
        "min": spec.min,
        "max": spec.max,
        "count": count,
    }
