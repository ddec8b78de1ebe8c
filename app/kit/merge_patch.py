"""JSON Merge Patch (RFC 7396): apply a patch document to a JSON value, without side effects."""

from copy import deepcopy
from typing import Any


def apply(target: Any, patch: Any) -> Any:
    """The result of merging `patch` into `target` (RFC 7396 §2); neither argument is changed.

    An object patch merges member by member, `null` removing a member; any other patch
    (an array, a string, a number, `null`) replaces the target whole.
    """
    if not isinstance(patch, dict):
        return deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = apply(result.get(name), value)
    return result
