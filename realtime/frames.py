"""Client frames parsed safely: nesting bounded before json.loads ever recurses, and only real JSON
values accepted (no NaN / Infinity, no float that overflows to infinity), so nothing a client sends can raise
RecursionError or be echoed back as invalid JSON."""

import json
import math

MAX_DEPTH = 32  # the protocol's deepest frame is {"metrics": [...]}: depth 2


class FrameError(ValueError):
    pass


def _depth_within(text: str, limit: int) -> bool:
    """Brackets outside strings never nest deeper than `limit` (a linear scan; json.loads recurses per level)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _refuse_constant(name: str):
    raise FrameError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise FrameError(f"{text[:20]} overflows a double")
    return value


def frame_decode(*, text: str):
    """The JSON value of a client text frame; FrameError (a ValueError) when it is not strict, shallow JSON."""
    if not _depth_within(text, MAX_DEPTH):
        raise FrameError(f"nested deeper than {MAX_DEPTH} levels")
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
