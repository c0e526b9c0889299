"""The depth limit for supplier JSON counts real nesting only, and refuses what is deeper before parsing."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from vmi_desktop import wire


@pytest.mark.parametrize("depth", [1, 31, 32])
def test_nesting_up_to_the_limit_passes(depth: int) -> None:
    nested = b"[" * depth + b"]" * depth
    wire.check_depth(nested, 32)
    assert isinstance(wire.loads(nested, max_depth=32), list)


@pytest.mark.parametrize("depth", [33, 1000, 200_000])
def test_deeper_nesting_is_refused_with_one_sentence(depth: int) -> None:
    started = time.monotonic()
    with pytest.raises(wire.WireError, match="nested more than 32 levels deep"):
        wire.loads(b"[" * depth + b"]" * depth, max_depth=32)
    assert time.monotonic() - started < 2


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"reason": "' + "[" * 100 + '", "note": "a \\"quoted\\" ]]]] [[[[ text", "lines": [{"a": 1}]}'
    assert wire.loads(text, max_depth=3)["lines"] == [{"a": 1}]
    with pytest.raises(wire.WireError):
        wire.loads('{"a": [[["x"]]]}', max_depth=3)


def test_objects_and_arrays_both_count() -> None:
    wire.check_depth(b'{"a": [{"b": {}}]}', 4)
    with pytest.raises(wire.WireError):
        wire.check_depth(b'{"a": [{"b": {"c": []}}]}', 4)


@pytest.mark.parametrize(
    "brackets", [b"", b"[", b"]", b"]]][", b"][][", b"[[]]]]]]][[[[", b"[[[]][[[[]]]]]", b"[" * 70_000 + b"]" * 70_000]
)
def test_small_and_large_bodies_are_counted_alike(brackets: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    small = wire._deepest(brackets)
    monkeypatch.setattr(wire, "_SMALL", -1)  # every body through numpy
    assert wire._deepest(brackets) == small
    level = deepest = 0
    for b in brackets:
        level += 1 if b == ord("[") else -1
        deepest = max(deepest, level)
    assert small == deepest


def test_a_page_sized_body_is_checked_without_importing_numpy() -> None:
    code = (
        "import sys; from vmi_desktop import wire; "
        'event = b\'{"data": {"lines": [{"a": 1}]}}\'; '
        "wire.check_depth(b'{\"events\": [' + b','.join([event] * 500) + b']}', 32); "
        "print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
