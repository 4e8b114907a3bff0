import pytest

from studio.vendors.base import InvalidParameters
from studio.vendors.params import Param, clean_params

SCHEMA = [
    Param("prompt", "text", required=True, max_length=20),
    Param("size", "choice", choices=("1024x1024", "1536x1024"), default="1024x1024"),
    Param("n", "int", min=1, max=8, default=1),
    Param("expand_top", "float", min=0.0, max=0.3, default=0.0),
    Param("high_fidelity", "bool", default=False),
]


def test_values_come_back_in_their_types_with_defaults_filled_in():
    cleaned = clean_params(SCHEMA, {"prompt": "red dress", "n": "3", "expand_top": "0.25", "high_fidelity": "true"})
    assert cleaned == {"prompt": "red dress", "size": "1024x1024", "n": 3, "expand_top": 0.25, "high_fidelity": True}


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({}, "prompt", "This is required."),
        ({"prompt": "x" * 21}, "prompt", "At most 20 characters."),
        ({"prompt": "a", "size": "999x999"}, "size", "Choose one of: 1024x1024, 1536x1024."),
        ({"prompt": "a", "n": "9"}, "n", "Must be between 1 and 8."),
        ({"prompt": "a", "n": "2.5"}, "n", "Must be a whole number."),
        ({"prompt": "a", "expand_top": "0.31"}, "expand_top", "Must be between 0 and 0.3."),
        ({"prompt": "a", "expand_top": "lots"}, "expand_top", "Must be a number."),
        ({"prompt": "a", "high_fidelity": "maybe"}, "high_fidelity", "Must be true or false."),
        *(
            ({"prompt": "a", name: text}, name, "Must be a number.")
            for name in ("n", "expand_top")
            for text in ("nan", "NaN", "inf", "-inf", "1e999", "-1e999", " ")
        ),
        ({"prompt": "a", "aspect_ratio": "16:9"}, "aspect_ratio", "Not a parameter of this model."),
    ],
)
def test_each_broken_rule_is_named_on_its_field(raw, field, message):
    with pytest.raises(InvalidParameters) as caught:
        clean_params(SCHEMA, raw)
    assert caught.value.field_errors[field] == message
