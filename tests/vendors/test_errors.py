"""The shared readings of vendor errors in base.py: not found, an input the vendor could not fetch, trouble."""

import pytest

from studio.vendors.base import (
    ErrorClass,
    Outcome,
    VendorError,
)
from studio.vendors.errors import is_not_found, trouble_class, unreachable_input_error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (VendorError(ErrorClass.PERMANENT, "Not Found", http_status=404), True),
        (VendorError(ErrorClass.PERMANENT, "x", code=404, http_status=200), True),
        (VendorError(ErrorClass.PERMANENT, "x", code="task_not_exist", http_status=200), True),
        (VendorError(ErrorClass.INVALID_PARAMETERS, "任务不存在", code=400, http_status=200), True),
        (VendorError(ErrorClass.TRANSIENT, "任务未找到或状态未知", code=1), True),
        (VendorError(ErrorClass.BAD_CREDENTIALS, "账户不存在", code=1), False),
        (VendorError(ErrorClass.BAD_CREDENTIALS, "任务不存在或无权限", code=403, http_status=404), False),
        (VendorError(ErrorClass.TRANSIENT, "服务器内部错误", code=500, http_status=200), False),
    ],
)
def test_not_found_is_the_vendors_no_such_task_in_any_transport(error, expected):
    assert is_not_found(error) is expected


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("internal_error", "something broke", ErrorClass.TRANSIENT),
        ("upstream_error", "", ErrorClass.TRANSIENT),
        ("service_unavailable", "", ErrorClass.TRANSIENT),
        (500, "", ErrorClass.TRANSIENT),
        ("502", "", ErrorClass.TRANSIENT),
        (None, "系统繁忙,请稍后再试", ErrorClass.TRANSIENT),
        (None, "服务器内部错误", ErrorClass.TRANSIENT),
        (None, "系统异常", ErrorClass.TRANSIENT),
        (None, "request timed out", ErrorClass.TRANSIENT),
        ("queue_full", "", ErrorClass.RATE_LIMITED),
        ("server_busy", "", ErrorClass.RATE_LIMITED),
        ("rate_limit_exceeded", "上游负载已饱和", ErrorClass.RATE_LIMITED),
        (429, "", ErrorClass.RATE_LIMITED),
        (None, "请求过于频繁", ErrorClass.RATE_LIMITED),
        (None, "队列已满", ErrorClass.RATE_LIMITED),
        (400, "prompt 不能为空", None),
        ("invalid_request", "参数错误", None),
        (None, "", None),
    ],
)
def test_trouble_inside_the_vendor_is_transient_and_a_full_vendor_rate_limited(code, message, expected):
    assert trouble_class(code, message) == expected


UNFETCHED = ["图片下载失败", "产品图无法访问", "图片不能为空或无法访问", "failed to download image"]


@pytest.mark.parametrize("message", UNFETCHED)
def test_an_input_the_vendor_could_not_fetch_is_a_transient_refusal(message):
    error = unreachable_input_error(message, code=400, http_status=200)

    assert (error.error_class, error.outcome, error.may_resend) == (ErrorClass.TRANSIENT, Outcome.REFUSED, True)


def test_words_on_a_gateway_error_page_are_not_read_as_an_unreachable_input():
    assert unreachable_input_error("网站无法访问", code=None, http_status=502) is None
    assert unreachable_input_error("内容违规", code=400, http_status=200) is None
