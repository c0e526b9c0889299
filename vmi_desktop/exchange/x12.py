"""X12 004010 syntax: ISA/GS/ST envelopes written and read, delimiters taken from the ISA segment.

No permissively licensed X12 writer exists, so this one is ours and small. ``write`` wraps
transaction sets (built by ``x12_sets``) in one interchange with one functional group; its
delimiters are chosen so that no data element contains one (X12 004010 has no release character).
``read`` takes the delimiters from the ISA segment, checks every envelope (segment counts, control
numbers that must match, the trailers a truncated file lacks) and returns the groups and sets as
element lists; anything else is an ``ExchangeError`` with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from vmi_desktop.exchange.errors import ExchangeError

#: A segment as elements: the tag first. A composite element is one string with component separators.
Segment = tuple[str, ...]

VERSION = "004010"
ISA_VERSION = "00401"
_TAG = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
_ELEMENT_CANDIDATES = "*|^!\x1d"
_COMPONENT_CANDIDATES = ">:\\\x1f"
_SEGMENT_CANDIDATES = "~\x1c'"


@dataclass(frozen=True)
class Partner:
    """Who sends and who receives: ISA qualifiers and ids, GS application codes, test or production."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    sender_app: str
    receiver_app: str
    usage: str = "P"

    def reverse(self) -> Partner:
        """The same partnership seen from the other side (the reference partner writes with this)."""
        return Partner(
            self.receiver_qualifier,
            self.receiver_id,
            self.sender_qualifier,
            self.sender_id,
            self.receiver_app,
            self.sender_app,
            self.usage,
        )


@dataclass(frozen=True)
class TransactionSet:
    """One ST..SE: its code (846, 850, ...), control number and the segments between ST and SE."""

    code: str
    control_number: str
    segments: tuple[Segment, ...]
    #: position of the ST segment in the file (1-based), for messages a person reads
    position: int = 0


@dataclass(frozen=True)
class Group:
    """One GS..GE: functional id (IB, PO, ...), control number, application codes and its sets."""

    functional_id: str
    control_number: str
    sender_app: str
    receiver_app: str
    version: str
    sets: tuple[TransactionSet, ...]


@dataclass(frozen=True)
class Interchange:
    """A read ISA..IEA."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    prepared_at: datetime | None
    usage: str
    groups: tuple[Group, ...]
    component: str


def _choose(candidates: str, taken: set[str], text: str) -> str:
    for char in candidates:
        if char not in taken and char not in text:
            return char
    raise ExchangeError("the data uses every character X12 could separate it with; it cannot be written as X12")


def _check_id(value: str, what: str, width: int) -> str:
    if not value or len(value) > width or not value.isprintable():
        raise ExchangeError(f"{what} {value!r} must be 1 to {width} printable characters")
    return value


def write(
    partner: Partner,
    control_number: int,
    functional_id: str,
    sets: Sequence[tuple[str, Sequence[Segment]]],
    *,
    now: datetime,
) -> bytes:
    """One interchange with one group (GS06 = ISA13 = ``control_number``) holding ``sets`` (code, segments)."""
    if not 0 < control_number < 10**9:
        raise ExchangeError(f"interchange control number {control_number} is outside 1..999999999")
    if not sets:
        raise ExchangeError("an interchange needs at least one transaction set")
    _check_id(partner.sender_id, "ISA sender id", 15)
    _check_id(partner.receiver_id, "ISA receiver id", 15)
    text = "".join(e for _code, segs in sets for seg in segs for e in seg)
    text += partner.sender_id + partner.receiver_id + partner.sender_app + partner.receiver_app
    element = _choose(_ELEMENT_CANDIDATES, set(), text)
    component = _choose(_COMPONENT_CANDIDATES, {element}, text)
    terminator = _choose(_SEGMENT_CANDIDATES, {element, component}, text)
    moment = now.astimezone(UTC)
    number = f"{control_number:09d}"
    out: list[Segment] = [
        (
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            partner.sender_qualifier.ljust(2)[:2],
            partner.sender_id.ljust(15),
            partner.receiver_qualifier.ljust(2)[:2],
            partner.receiver_id.ljust(15),
            moment.strftime("%y%m%d"),
            moment.strftime("%H%M"),
            "U",
            ISA_VERSION,
            number,
            "0",
            partner.usage if partner.usage in ("P", "T") else "P",
            component,
        ),
        (
            "GS",
            functional_id,
            _check_id(partner.sender_app, "GS sender application code", 15),
            _check_id(partner.receiver_app, "GS receiver application code", 15),
            moment.strftime("%Y%m%d"),
            moment.strftime("%H%M"),
            str(control_number),
            "X",
            VERSION,
        ),
    ]
    for index, (code, segments) in enumerate(sets, start=1):
        st = f"{index:04d}"
        out.append(("ST", code, st))
        out.extend(segments)
        out.append(("SE", str(len(segments) + 2), st))
    out.append(("GE", str(len(sets)), str(control_number)))
    out.append(("IEA", "1", number))
    body = (terminator + "\n").join(element.join(_trim(seg)) for seg in out) + terminator + "\n"
    return body.encode("utf-8")


def _trim(segment: Segment) -> Segment:
    """Drop empty trailing elements (X12 does not write them); ISA keeps all sixteen."""
    if segment[0] == "ISA":
        return segment
    end = len(segment)
    while end > 1 and segment[end - 1] == "":
        end -= 1
    return segment[:end]


def components(value: str, separator: str) -> list[str]:
    """The components of a composite element."""
    return value.split(separator)


def _decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExchangeError(f"not UTF-8 text (byte {exc.start})") from None


def _stamp(date_text: str, time_text: str) -> datetime | None:
    try:
        return datetime.strptime(date_text + time_text, "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None


def read(data: bytes) -> Interchange:
    """Parse one interchange; raises ``ExchangeError`` saying what is wrong with the envelope."""
    text = _decode_text(data).lstrip("\r\n\t ")
    if not text.startswith("ISA"):
        raise ExchangeError("not an X12 interchange: it does not start with ISA")
    if len(text) < 106:
        raise ExchangeError("truncated: the ISA segment is shorter than 106 characters")
    element = text[3]
    if element.isalnum() or element.isspace():
        raise ExchangeError(f"ISA element separator {element!r} is a letter, digit or space")
    positions = [i for i, c in enumerate(text[:140]) if c == element][:16]
    if len(positions) < 16:
        raise ExchangeError("the ISA segment does not have sixteen elements")
    if len(text) < positions[15] + 3:
        raise ExchangeError("truncated: the ISA segment has no segment terminator")
    component, terminator = text[positions[15] + 1], text[positions[15] + 2]
    if len({element, component, terminator}) < 3 or component.isalnum() or terminator.isalnum():
        raise ExchangeError("the ISA segment's separators are not three distinct non-alphanumeric characters")
    raw = text.split(terminator)
    if raw[-1].strip("\r\n\t "):
        raise ExchangeError("truncated: the file ends in the middle of a segment")
    strip = "".join(c for c in "\r\n" if c != terminator)
    segments = [tuple(s.lstrip(strip).split(element)) for s in raw[:-1]]
    return _parse(segments, component)


def _parse(segments: list[tuple[str, ...]], component: str) -> Interchange:
    isa = segments[0]
    if len(isa) != 17:
        raise ExchangeError(f"the ISA segment has {len(isa) - 1} elements, not 16", segment=1)
    groups: list[Group] = []
    index = 1
    ended = False
    while index < len(segments):
        seg = segments[index]
        tag = seg[0]
        if not _TAG.match(tag):
            raise ExchangeError(f"{tag[:10]!r} is not a segment id", segment=index + 1)
        if tag == "IEA":
            _expect(seg, 3, index)
            if seg[1] != str(len(groups)):
                raise ExchangeError(f"IEA counts {seg[1]} groups, the interchange has {len(groups)}", segment=index + 1)
            if seg[2] != isa[13]:
                raise ExchangeError(f"IEA control number {seg[2]} is not ISA's {isa[13]}", segment=index + 1)
            ended = True
            index += 1
            break
        if tag != "GS":
            raise ExchangeError(f"{tag} segment outside a functional group", segment=index + 1)
        group, index = _group(segments, index)
        groups.append(group)
    if not ended:
        raise ExchangeError("truncated: the interchange ends without its IEA segment")
    if index != len(segments):
        raise ExchangeError("segments after the IEA segment", segment=index + 1)
    return Interchange(
        sender_qualifier=isa[5].strip(),
        sender_id=isa[6].strip(),
        receiver_qualifier=isa[7].strip(),
        receiver_id=isa[8].strip(),
        control_number=isa[13].strip(),
        prepared_at=_stamp(isa[9], isa[10]),
        usage=isa[15],
        groups=tuple(groups),
        component=component,
    )


def _expect(seg: tuple[str, ...], minimum: int, index: int) -> None:
    if len(seg) < minimum:
        raise ExchangeError(f"{seg[0]} segment has too few elements", segment=index + 1)


def _group(segments: list[tuple[str, ...]], start: int) -> tuple[Group, int]:
    gs = segments[start]
    _expect(gs, 9, start)
    if not gs[8].startswith(VERSION):
        raise ExchangeError(f"group version {gs[8]!r} is not X12 {VERSION}", segment=start + 1)
    sets: list[TransactionSet] = []
    index = start + 1
    while index < len(segments):
        seg = segments[index]
        if seg[0] == "GE":
            _expect(seg, 3, index)
            if seg[1] != str(len(sets)):
                raise ExchangeError(
                    f"GE counts {seg[1]} transaction sets, the group has {len(sets)}", segment=index + 1
                )
            if seg[2] != gs[6]:
                raise ExchangeError(f"GE control number {seg[2]} is not GS's {gs[6]}", segment=index + 1)
            return Group(gs[1], gs[6], gs[2], gs[3], gs[8], tuple(sets)), index + 1
        if seg[0] != "ST":
            raise ExchangeError(f"{seg[0][:10]} segment outside a transaction set", segment=index + 1)
        _expect(seg, 3, index)
        body: list[Segment] = []
        position = index + 1
        index += 1
        while index < len(segments) and segments[index][0] not in ("SE", "ST", "GE", "IEA"):
            if not _TAG.match(segments[index][0]):
                raise ExchangeError(f"{segments[index][0][:10]!r} is not a segment id", segment=index + 1)
            body.append(segments[index])
            index += 1
        if index >= len(segments) or segments[index][0] != "SE":
            raise ExchangeError(f"transaction set {seg[2]} has no SE segment", segment=position)
        se = segments[index]
        _expect(se, 3, index)
        if se[1] != str(len(body) + 2):
            raise ExchangeError(
                f"SE of set {seg[2]} counts {se[1]} segments, the set has {len(body) + 2}", segment=index + 1
            )
        if se[2] != seg[2]:
            raise ExchangeError(f"SE control number {se[2]} is not ST's {seg[2]}", segment=index + 1)
        sets.append(TransactionSet(seg[1], seg[2], tuple(body), position))
        index += 1
    raise ExchangeError("truncated: a functional group ends without its GE segment")
