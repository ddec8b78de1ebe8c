"""RFC 7396 merge patch: the examples of its Appendix A, and no mutation of the inputs."""

import pytest

from app.kit.merge_patch import apply

# (target, patch, result) straight from RFC 7396, Appendix A.
RFC_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC_EXAMPLES)
def test_rfc_7396_examples(target, patch, expected):
    assert apply(target, patch) == expected


def test_inputs_are_left_unchanged():
    target = {"a": {"b": 1}, "list": [1]}
    patch = {"a": {"c": 2}, "list": [2]}

    result = apply(target, patch)
    result["list"].append(3)

    assert target == {"a": {"b": 1}, "list": [1]}
    assert patch == {"a": {"c": 2}, "list": [2]}


def test_empty_patch_changes_nothing():
    assert apply({"name": "x", "position": 2}, {}) == {"name": "x", "position": 2}
