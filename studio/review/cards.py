"""What a gallery page repeats, prepared once: its cards, and the options of its filter menus.

A page renders 60 cards. Reversing four URLs and looking up two choice labels per card (a model's
get_FOO_display() translates every choice to find one) cost more than the rest of the page together,
so the URLs are built from one reverse per kind and the labels from one translated table. The filter
menus can list hundreds of products: their options are joined here rather than looped in the template.
"""

from html import escape as _escape

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from studio.core.files import browser_urls
from studio.runs.models import Output, ReviewState
from studio.vendors.operations import Operation

PLACEHOLDER = 987654321


def escape(value) -> SafeString:
    """Django's escape() without its lazy-string wrapper, which costs more than the escaping at this volume."""
    return SafeString(_escape(str(value)))


def _url_pattern(name: str, *args) -> str:
    return reverse(name, args=[PLACEHOLDER, *args]).replace(str(PLACEHOLDER), "{}")


def cards_prepare(outputs: list[Output], *, query: str) -> list[Output]:
    """Outputs from selectors.output_cards(), ready for the card partial: every value a card prints is
    escaped here, once, so the template neither escapes nor localises it again."""
    suffix = f"?{query}" if query else ""
    viewer = _url_pattern("review:viewer")
    review = _url_pattern("review:review")
    thumbnail = _url_pattern("runs:output", "thumbnail")
    states = {value: escape(label) for value, label in ReviewState.choices}
    operations = {value: escape(label) for value, label in Operation.choices}
    thumbnails = browser_urls([(output.thumbnail, thumbnail.format(output.pk)) for output in outputs])
    for output, thumbnail_url in zip(outputs, thumbnails, strict=True):
        output.key = escape(output.pk)
        output.viewer_url = escape(viewer.format(output.pk) + suffix)
        output.review_url = escape(review.format(output.pk) + suffix)
        output.thumbnail_url = escape(thumbnail_url)
        output.size = escape(f'width="{output.width or 480}" height="{output.height or 480}"')
        output.state_label = states.get(output.review_state) or escape(output.review_state)
        output.operation_label = operations.get(output.card_operation) or escape(output.card_operation)
        output.product_name = escape(output.card_product or "")
        output.made_by = escape(f"{output.card_vendor} · {output.card_model}")
    return outputs


def card_text(request) -> dict[str, str]:
    """What every card repeats, rendered once: its words and its review buttons."""
    return {
        "select": _("Select image"),
        "no_product": _("No source product"),
        "buttons": render_to_string("review/gallery.html#card-buttons", request=request),
    }


def options_html(choices, selected) -> SafeString:
    """`<option>`s for (value, label) pairs, the one equal to `selected` marked. Joined by hand: a page can list
    hundreds of products, and format_html per option cost more than all the queries of the page."""
    return mark_safe(  # noqa: S308 (every value and label is escaped here)
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == selected else ""}>'
            f"{escape(_short(label))}</option>"
            for value, label in choices
        )
    )


def _short(label, limit: int = 48) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"
