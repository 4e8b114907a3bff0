"""The Content-Security-Policy and Permissions-Policy every page carries, and templates that keep to them."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from tests.conftest import client_for

INLINE = re.compile(r"""<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=["']|\sstyle=["']""", re.IGNORECASE)


def test_every_page_carries_the_policies(staff):
    response = client_for(staff).get(reverse("projects:list"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"]


def test_no_template_has_an_inline_script_style_or_event_handler():
    templates = [path for root in (settings.BASE_DIR / "templates", settings.BASE_DIR / "studio")
                 for path in Path(root).rglob("*.html")]  # fmt: skip
    offenders = {str(path.relative_to(settings.BASE_DIR)): INLINE.findall(path.read_text()) for path in templates}
    assert {path: found for path, found in offenders.items() if found} == {}
    assert len(templates) > 30
