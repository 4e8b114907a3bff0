"""Reading vendors' error answers: the words and codes that say "no such task", "busy", "broken inside" or
"could not fetch your input", in English and Chinese, whether they come as an HTTP status or in a body."""

from studio.vendors.base import ErrorClass, Outcome, VendorError

NOT_FOUND_CODES = {"404", "not_found", "task_not_found", "task_not_exist"}
# A task-specific "no such task" in the vendor's words ("账户不存在" is a wrong key, not a missing task).
NOT_FOUND_WORDS = ("任务不存在", "任务未找到", "task not found", "task does not exist", "no such task")

# The vendor could not fetch an input URL we gave it: no task was made, and the studio may only have been slow
# to serve the file, so it is a transient refusal (TRANSIENT with Outcome.REFUSED), never a permanent one.
INPUT_UNREACHABLE_WORDS = (
    "下载失败",
    "无法下载",
    "无法访问",
    "下载超时",
    "获取图片失败",
    "图片获取失败",
    "failed to download",
    "download failed",
    "could not download",
    "cannot download",
    "unable to download",
    "failed to fetch",
    "could not fetch",
    "unable to fetch",
)
# Codes that ask us to wait and send again: the vendor is full and refused the call.
RATE_LIMIT_CODES = ("rate_limit", "too_many_requests", "queue_full", "busy")
# The same in words; "繁忙" is not among them: Chinese back ends say "系统繁忙" for any internal error.
RATE_LIMIT_WORDS = (
    *("rate limit", "too many requests", "queue is full", "queue full"),
    *("队列已满", "频繁", "限流", "负载已饱和"),
)
# Trouble inside the vendor, in codes or words: such an answer does not prove that no task was made.
SERVER_TROUBLE_WORDS = (
    *("internal", "server_error", "server error", "upstream", "timeout", "timed out", "unavailable"),
    *("bad_response", "bad gateway", "busy"),
    *("繁忙", "内部错误", "服务器错误", "系统错误", "系统异常", "服务异常", "服务器异常", "网络异常", "超时"),
    "服务不可用",
)


def is_not_found(error: VendorError) -> bool:
    """The vendor said "no such task": HTTP 404, a body code 404/not_found, or its own words for it.

    A refused key is never "not found", whatever else the answer says.
    """
    if error.error_class == ErrorClass.BAD_CREDENTIALS:
        return False
    if error.http_status == 404 or str(error.code or "").lower() in NOT_FOUND_CODES:
        return True
    message = error.message.lower()
    return any(word in message for word in NOT_FOUND_WORDS)


def unreachable_input_error(message: str, *, code: str | int | None, http_status: int | None) -> VendorError | None:
    """The error for a well-formed answer (below HTTP 500) saying the vendor could not fetch one of our inputs.

    TRANSIENT with Outcome.REFUSED: no task was made, so sending it again a few times is safe. None otherwise
    (an HTML error page of a gateway may say "无法访问" about something else entirely).
    """
    text = message.lower()
    if (http_status or 200) >= 500 or not any(word in text for word in INPUT_UNREACHABLE_WORDS):
        return None
    return VendorError(ErrorClass.TRANSIENT, message, code=code, http_status=http_status, outcome=Outcome.REFUSED)


def trouble_class(code: str | int | None, message: str) -> ErrorClass | None:
    """RATE_LIMITED or TRANSIENT when the vendor's code or words say it is full or broken inside, else None.

    The code is read before the words; a number code is read as an HTTP status would be (429, 5xx).
    """
    code_text = str(code if code is not None else "").strip().lower()
    if code_text.isdigit():
        number = int(code_text)
        if number == 429:
            return ErrorClass.RATE_LIMITED
        if 500 <= number < 600:
            return ErrorClass.TRANSIENT
    elif code_text:
        if any(word in code_text for word in RATE_LIMIT_CODES):
            return ErrorClass.RATE_LIMITED
        if any(word in code_text for word in SERVER_TROUBLE_WORDS):
            return ErrorClass.TRANSIENT
    text = message.lower()
    if any(word in text for word in RATE_LIMIT_WORDS):
        return ErrorClass.RATE_LIMITED
    if any(word in text for word in SERVER_TROUBLE_WORDS):
        return ErrorClass.TRANSIENT
    return None
