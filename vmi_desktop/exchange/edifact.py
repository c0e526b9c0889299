"""EDIFACT syntax (version 3, UNOC): UNA/UNB/UNH/UNT/UNZ envelopes, with pydifact for the characters.

pydifact (MIT) tokenizes and serializes: the service string advice (UNA), separators, the release
character that escapes them in data (``?+``, ``?:``, ``?'``, ``??``). The envelopes and their
checks are ours: ``write`` wraps messages (tag, segments) in one interchange; ``read`` checks every
UNT and the UNZ (counts and references that must match, the trailer a truncated file lacks) and
returns the messages as element lists, or raises ``ExchangeError`` with the reason.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydifact.control import Characters
from pydifact.parser import Parser
from pydifact.segments import Segment as PySegment
from pydifact.serializer import Serializer

from vmi_desktop.exchange.errors import ExchangeError

#: An element: simple (str) or composite (its components).
Element = str | tuple[str, ...]
#: A segment as elements, the tag first.
Segment = tuple[Element, ...]

UNA = "UNA:+.? '"
SYNTAX = ("UNOC", "3")
DIRECTORY = ("D", "96A", "UN")
_TAG = re.compile(r"[A-Z]{3}\Z")
_CHARSETS = {"UNOA": "ascii", "UNOB": "ascii", "UNOC": "latin-1", "UNOD": "latin-1", "UNOY": "utf-8", "UNOW": "utf-8"}


@dataclass(frozen=True)
class Party:
    """Sender and recipient of interchanges: identification and code qualifier (UNB S002/S003)."""

    sender_id: str
    sender_qualifier: str
    recipient_id: str
    recipient_qualifier: str
    test: bool = False

    def reverse(self) -> Party:
        return Party(self.recipient_id, self.recipient_qualifier, self.sender_id, self.sender_qualifier, self.test)


@dataclass(frozen=True)
class Message:
    """One UNH..UNT as read: reference, type (``ORDERS``), version and the segments in between."""

    reference: str
    type: str
    version: tuple[str, ...]
    segments: tuple[Segment, ...]
    position: int = 0


@dataclass(frozen=True)
class Interchange:
    """A read UNB..UNZ."""

    sender: str
    recipient: str
    reference: str
    prepared_at: datetime | None
    messages: tuple[Message, ...]


def _characters() -> Characters:
    return Characters.from_str(UNA)


def _latin1(value: str) -> str:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ExchangeError(f"{value[:40]!r} has characters UNOC (ISO 8859-1) cannot carry") from None
    return value


class _Writer:
    """Segments as text: pydifact's serializer escapes every value with the release character."""

    def __init__(self) -> None:
        self.chars = _characters()
        self.serializer = Serializer(self.chars)

    def segment(self, tag: str, elements: Sequence[Element]) -> str:
        out: list[str] = []
        escape = self.serializer.escape
        for e in elements:
            if isinstance(e, tuple):
                parts = [escape(_latin1(c)) for c in e]
                while parts and parts[-1] == "":
                    parts.pop()
                out.append(self.chars.component_separator.join(parts))
            else:
                out.append(escape(_latin1(e)))
        while out and out[-1] == "":
            out.pop()
        return self.chars.data_separator.join([tag, *out]) + self.chars.segment_terminator


def write(party: Party, reference: int, messages: Sequence[tuple[str, Sequence[Segment]]], *, now: datetime) -> bytes:
    """One interchange (UNB 0020 = ``reference``) of ``messages`` (type, segments after UNH up to UNT)."""
    if not 0 < reference < 10**14:
        raise ExchangeError(f"interchange reference {reference} is outside 1..99999999999999")
    if not messages:
        raise ExchangeError("an interchange needs at least one message")
    moment = now.astimezone(UTC)
    unb: list[Element] = [
        SYNTAX,
        (party.sender_id, party.sender_qualifier),
        (party.recipient_id, party.recipient_qualifier),
        (moment.strftime("%y%m%d"), moment.strftime("%H%M")),
        str(reference),
    ]
    if party.test:
        unb += ["", "", "", "", "", "1"]
    w = _Writer()
    lines = [w.chars.service_string_advice, w.segment("UNB", unb)]
    for index, (kind, body) in enumerate(messages, start=1):
        ref = str(index)
        version = ("D", "3", "UN") if kind == "CONTRL" else DIRECTORY
        lines.append(w.segment("UNH", [ref, (kind, *version)]))
        lines.extend(w.segment(str(seg[0]), seg[1:]) for seg in body)
        lines.append(w.segment("UNT", [str(len(body) + 2), ref]))
    lines.append(w.segment("UNZ", [str(len(messages)), str(reference)]))
    return ("\n".join(lines) + "\n").encode("latin-1")


def _decode_text(data: bytes) -> str:
    found = re.search(rb"UNB\+(UNO[A-Z])", data[:400])
    charset = _CHARSETS.get(found.group(1).decode(), "latin-1") if found else "latin-1"
    try:
        return data.decode(charset)
    except UnicodeDecodeError as exc:
        raise ExchangeError(f"not {charset} text as the UNB syntax identifier says (byte {exc.start})") from None


def _elements(seg: PySegment) -> Segment:
    out: list[Element] = [seg.tag]
    for e in seg.elements:
        if isinstance(e, list):
            out.append(tuple("" if c is None else str(c) for c in e))
        else:
            out.append("" if e is None else str(e))
    return tuple(out)


def text_of(element: Element, index: int = 0) -> str:
    """Component ``index`` of an element (a simple element is its own first component)."""
    if isinstance(element, tuple):
        return element[index] if index < len(element) else ""
    return element if index == 0 else ""


def read(data: bytes) -> Interchange:
    """Parse one interchange; raises ``ExchangeError`` saying what is wrong with its envelope."""
    text = _decode_text(data).lstrip("\ufeff\r\n\t ")
    if not (text.startswith("UNA") or text.startswith("UNB")):
        raise ExchangeError("not an EDIFACT interchange: it does not start with UNA or UNB")
    if text.startswith("UNA") and len(text) < 9:
        raise ExchangeError("truncated: the UNA segment is shorter than 9 characters")
    terminator = text[8] if text.startswith("UNA") else "'"
    if not text.rstrip("\r\n\t ").endswith(terminator):
        raise ExchangeError("truncated: the file ends in the middle of a segment")
    try:
        with warnings.catch_warnings():  # pydifact warns that it has no segment directory to check against
            warnings.simplefilter("ignore")
            parsed = [_elements(s) for s in Parser().parse(text) if s.tag != "UNA"]
    except Exception as exc:  # pydifact raises several kinds for bad syntax; all mean "unreadable"
        raise ExchangeError(f"EDIFACT syntax error: {str(exc)[:200]}") from None
    return _parse(parsed)


def _parse(segments: list[Segment]) -> Interchange:
    if not segments or segments[0][0] != "UNB":
        raise ExchangeError("the interchange does not begin with a UNB segment")
    unb = segments[0]
    if len(unb) < 6:
        raise ExchangeError("the UNB segment has too few elements", segment=1)
    if text_of(unb[1]) not in _CHARSETS:
        raise ExchangeError(f"UNB syntax identifier {text_of(unb[1])!r} is not one we read", segment=1)
    reference = text_of(unb[5])
    messages: list[Message] = []
    index = 1
    ended = False
    while index < len(segments):
        seg = segments[index]
        tag = str(seg[0])
        if not _TAG.match(tag):
            raise ExchangeError(f"{tag[:10]!r} is not a segment tag", segment=index + 1)
        if tag == "UNZ":
            if len(seg) < 3 or text_of(seg[1]) != str(len(messages)):
                raise ExchangeError(f"UNZ does not count the {len(messages)} messages", segment=index + 1)
            if text_of(seg[2]) != reference:
                raise ExchangeError(f"UNZ reference {text_of(seg[2])!r} is not UNB's {reference!r}", segment=index + 1)
            ended = True
            index += 1
            break
        if tag != "UNH":
            raise ExchangeError(f"{tag} segment outside a message", segment=index + 1)
        message, index = _message(segments, index)
        messages.append(message)
    if not ended:
        raise ExchangeError("truncated: the interchange ends without its UNZ segment")
    if index != len(segments):
        raise ExchangeError("segments after the UNZ segment", segment=index + 1)
    return Interchange(
        sender=text_of(unb[2]),
        recipient=text_of(unb[3]),
        reference=reference,
        prepared_at=_stamp(text_of(unb[4]), text_of(unb[4], 1)),
        messages=tuple(messages),
    )


def _stamp(day: str, time: str) -> datetime | None:
    try:
        return datetime.strptime(day + time, "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None


def _message(segments: list[Segment], start: int) -> tuple[Message, int]:
    unh = segments[start]
    if len(unh) < 3 or not isinstance(unh[2], tuple):
        raise ExchangeError("UNH has no message identifier", segment=start + 1)
    reference = text_of(unh[1])
    index = start + 1
    body: list[Segment] = []
    while index < len(segments) and segments[index][0] not in ("UNT", "UNH", "UNZ"):
        body.append(segments[index])
        index += 1
    if index >= len(segments) or segments[index][0] != "UNT":
        raise ExchangeError(f"message {reference} has no UNT segment", segment=start + 1)
    unt = segments[index]
    if len(unt) < 3 or text_of(unt[1]) != str(len(body) + 2):
        raise ExchangeError(
            f"UNT of message {reference} counts {text_of(unt[1]) if len(unt) > 1 else '?'} segments, "
            f"the message has {len(body) + 2}",
            segment=index + 1,
        )
    if text_of(unt[2]) != reference:
        raise ExchangeError(f"UNT reference {text_of(unt[2])!r} is not UNH's {reference!r}", segment=index + 1)
    kind = unh[2]
    return Message(reference, text_of(kind), tuple(kind[1:]), tuple(body), start + 1), index + 1
