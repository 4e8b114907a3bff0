"""The Simplified Chinese catalogue: complete, consistent with the source, compiled, and actually used."""

import ast
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

BASE_DIR = Path(settings.BASE_DIR)
PO_PATH = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# Named python-format placeholders with their conversion, e.g. %(count)d, %(mp).1f. The optional second
# "%" catches the doubled form makemessages writes for placeholders inside {% translate %} literals
# (Django undoes the doubling when it renders the tag, and the JS then fills them in).
PLACEHOLDER = re.compile(r"%%?\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")

TRANSLATE_TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.*?)\1(.*?)%\}""", re.DOTALL)
BLOCKTRANSLATE_TAG = re.compile(
    r"\{%\s*(?:blocktranslate|blocktrans)\b(?P<options>.*?)%\}(?P<body>.*?)\{%\s*end(?:blocktranslate|blocktrans)\s*%\}",
    re.DOTALL,
)
CONTEXT_OPTION = re.compile(r"""\bcontext\s+(["'])(.*?)\1""")

# gettext-family function name -> positions of (context, singular, plural) among its arguments.
GETTEXT_FUNCTIONS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


@pytest.fixture(autouse=True)
def restore_active_language():
    """LocaleMiddleware leaves the request's language active in this thread; don't leak Chinese into later tests."""
    language = translation.get_language()
    yield
    translation.activate(language)


def load_po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def live_entries(catalogue) -> list:
    return [entry for entry in catalogue if not entry.obsolete]


def catalogue_keys() -> set[tuple[str | None, str, str | None]]:
    return {(e.msgctxt, e.msgid, e.msgid_plural or None) for e in live_entries(load_po())}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def template_files() -> list[Path]:
    files = sorted((BASE_DIR / "templates").rglob("*.html"))
    files += sorted((BASE_DIR / "studio").glob("**/templates/**/*.html"))
    return files


def python_files() -> list[Path]:
    return sorted(path for path in (BASE_DIR / "studio").rglob("*.py") if "__pycache__" not in path.parts)


def template_msgids(source: str) -> list[tuple[str | None, str, str | None]]:
    """The (context, msgid, plural) triples makemessages would write for this template's literals."""
    found = []
    for match in TRANSLATE_TAG.finditer(source):
        context = CONTEXT_OPTION.search(match.group(3))
        # makemessages doubles "%" in template strings; the catalogue holds the doubled form.
        found.append((context.group(2) if context else None, match.group(2).replace("%", "%%"), None))
    for match in BLOCKTRANSLATE_TAG.finditer(source):
        options, body = match.group("options"), match.group("body")
        context = CONTEXT_OPTION.search(options)
        parts = re.split(r"\{%\s*plural\s*%\}", body)
        texts = []
        for part in parts:
            assert "{%" not in part, f"unexpected tag inside blocktranslate: {part!r}"
            if re.search(r"\btrimmed\b", options):
                part = " ".join(line.strip() for line in part.strip().splitlines() if line.strip())
            text = part.replace("%", "%%")
            texts.append(re.sub(r"\{\{\s*(\w+)\s*\}\}", r"%(\1)s", text))
        found.append((context.group(2) if context else None, texts[0], texts[1] if len(texts) > 1 else None))
    return found


def _function_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _string_arg(call: ast.Call, position: int | None) -> str | None:
    if position is None or position >= len(call.args):
        return None
    arg = call.args[position]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def python_msgids(source: str) -> list[tuple[str | None, str, str | None]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        positions = GETTEXT_FUNCTIONS.get(_function_name(node.func))
        if positions is None:
            continue
        context, singular, plural = (_string_arg(node, position) for position in positions)
        if singular is not None:
            found.append((context, singular, plural))
    return found


def test_catalogue_header():
    po = load_po()
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == "zh_Hans"
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_every_entry_is_translated_and_not_fuzzy():
    entries = live_entries(load_po())
    assert entries, "the catalogue is empty"
    untranslated = [e.msgid for e in entries if not e.translated()]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_plural_entries_have_exactly_one_form():
    for entry in live_entries(load_po()):
        if entry.msgid_plural:
            assert list(entry.msgstr_plural) == [0], entry.msgid
            assert entry.msgstr_plural[0], entry.msgid


def test_placeholders_are_kept():
    for entry in live_entries(load_po()):
        if entry.msgid_plural:
            # The plural msgid may drop a placeholder (e.g. "one image"), so compare against both.
            expected = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
            translations = entry.msgstr_plural.values()
        else:
            expected = placeholders(entry.msgid)
            translations = [entry.msgstr]
        for text in translations:
            assert placeholders(text) == expected, f"{entry.msgid!r} -> {text!r}"


def test_translations_use_no_ascii_quotes():
    """Chinese uses 「」/“”; an ASCII quote would also break the inline confirm('...') in projects/detail.html."""
    for entry in live_entries(load_po()):
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            assert "'" not in text and '"' not in text, f"{entry.msgid!r} -> {text!r}"


def test_mo_file_matches_po_file():
    assert MO_PATH.exists(), "run: manage.py compilemessages --ignore=.venv"

    def mapping(entries):
        result = {}
        for e in entries:
            translated = tuple(e.msgstr_plural[k] for k in sorted(e.msgstr_plural)) if e.msgid_plural else e.msgstr
            result[(e.msgctxt, e.msgid, e.msgid_plural or None)] = translated
        return result

    po_mapping = mapping(load_po().translated_entries())
    mo_mapping = mapping(e for e in polib.mofile(str(MO_PATH)) if e.msgid)
    assert mo_mapping == po_mapping, "django.mo is stale: run manage.py compilemessages --ignore=.venv"


def test_template_strings_are_in_the_catalogue():
    known = catalogue_keys()
    found = {}
    for path in template_files():
        for key in template_msgids(path.read_text(encoding="utf-8")):
            found.setdefault(key, path.relative_to(BASE_DIR))
    assert len(found) > 40, "the template scan found suspiciously few strings"
    missing = {key: str(path) for key, path in found.items() if key not in known}
    assert missing == {}, "run makemessages and translate the new strings"


def test_python_strings_are_in_the_catalogue():
    known = catalogue_keys()
    found = {}
    for path in python_files():
        for key in python_msgids(path.read_text(encoding="utf-8")):
            found.setdefault(key, path.relative_to(BASE_DIR))
    assert len(found) > 20, "the Python scan found suspiciously few strings"
    missing = {key: str(path) for key, path in found.items() if key not in known}
    assert missing == {}, "run makemessages and translate the new strings"


def test_python_messages_translate_at_runtime():
    from studio.assets.models import AssetRole

    with translation.override("zh-hans"):
        assert str(AssetRole.REFERENCE.label) == "参考图"
        deleted = translation.ngettext("Deleted %(count)d image.", "Deleted %(count)d images.", 3)
        assert deleted % {"count": 3} == "已删除 3 张图片。"


def test_login_page_in_english_by_default(client):
    response = client.get("/login/")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="en">' in content
    assert "Sign in to Studio" in content


def test_login_page_in_chinese_with_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get("/login/")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="zh-hans">' in content
    assert "登录 Studio" in content
    assert "用户名" in content and "密码" in content
    assert "Sign in to Studio" not in content


@pytest.mark.django_db
def test_project_page_in_chinese_keeps_js_placeholders(client):
    from studio.accounts.models import Membership, Role, Team, User
    from studio.projects.models import Project

    team = Team.objects.create(name="Acme")
    user = User.objects.create_user(username="li-staff", password="irrelevant-here")
    Membership.objects.create(user=user, team=team, role=Role.STAFF)
    project = Project.objects.create(team=team, name="春季新品", created_by=user)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "上传为" in content and "参考图" in content
    # The uploader's JS fills these in; the template tag must hand them over single-percent.
    assert 'data-text-summary="已添加：%(kept)s · 重复：%(duplicate)s · 已拒绝：%(rejected)s"' in content
    assert "%%(" not in content


def test_offering_labels_stored_in_english_are_shown_in_the_readers_language(db):
    from studio.vendors.catalogue import KINDS
    from studio.vendors.models import Offering, VendorAccount
    from studio.vendors.services import offerings_load

    for kind in KINDS:
        offerings_load(account=VendorAccount.objects.create(kind=kind, name=kind, base_url="https://vendor.invalid"))
    offerings = list(Offering.objects.all())
    with translation.override("zh-hans"):
        untranslated = [offering.label for offering in offerings if offering.shown_label == offering.label]
        wash = Offering.objects.get(model="nanoBanana2").shown_label
    assert untranslated == [] and wash == "洗图（Nano Banana 2）"
