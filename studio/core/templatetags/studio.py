from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """`{{ errors|get:name }}`: a dict lookup by a variable, which Django's templates lack."""
    if not mapping:
        return ""
    return mapping.get(key, "")
