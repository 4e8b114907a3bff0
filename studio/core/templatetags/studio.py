from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """`{{ errors|get:name }}`: a dict lookup by a variable, which Django's templates lack."""
    if not mapping:
        return ""
    return mapping.get(key, "")


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some values replaced: `?{% query_with page=2 %}` keeps the filters."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


@register.filter
def change(value):
    """An audit value: `[before, after]` reads "before → after"; anything else as it is."""
    if isinstance(value, list) and len(value) == 2:
        before, after = ("—" if item is None or item == "" else item for item in value)
        return f"{before} → {after}"
    return value


@register.simple_tag
def file_url(field, view_name: str, *args) -> str:
    """`{% file_url output.thumbnail "runs:output" output.pk "thumbnail" %}`: where the browser fetches a stored
    file, the app's view (local storage) or a signed bucket URL (S3); see studio/core/files.py."""
    from django.urls import reverse

    from studio.core.files import browser_url

    return browser_url(field, reverse(view_name, args=args))


@register.simple_tag
def filters_query(filters, **changes) -> str:
    """`?{% filters_query filters role="model" %}`: a filter set (with a `query()` method) with some changed."""
    return filters.query(**changes)
