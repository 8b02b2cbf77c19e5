"""Personal data in free text, hidden before the text leaves for someone who may not see it.

PIPL (个人信息保护法) Art. 28 counts ID numbers and whereabouts as sensitive personal data;
petitions are private unless published. One function, `redact`, is used wherever free text is
published (Open311 reads) or shown to a role that may not see personal data (the REST API's
masked views, logs). Pure, stdlib `re` only: the workflow sandbox may import it.

What it catches, written in ASCII or full-width characters, with ordinary, ideographic (U+3000),
non-breaking or zero-width spaces, dots or dashes between the groups of digits:
- resident ID numbers: 18 characters (17 digits + digit or X/x, with a plausible birth date),
  optionally split after the region code, the year, the month and day;
- any other run of 15 to 19 digits (first-generation 15-digit IDs, bank card numbers);
- mainland mobile numbers 1[3-9]X XXXX XXXX, with or without +86 / 0086 / 86, spaces or dashes;
- landlines with an area code (0537-1234567, (0537)1234567, 010 87654321) and without one
  (7 or 8 digits standing alone, unless a unit follows: 12345678元, 1000000人 stay);
- vehicle plates: a province character, (a space,) a letter and 5 (regular) or 6 (new-energy) letters or
  digits with at least one digit (鲁H12345, 鲁H·D12345, 京AD12345), with 挂/学/警/港/澳 suffixes.

What it cannot catch: names, house and room numbers (addresses are coarsened separately, see
Open311), numbers spelled in Chinese characters (一三八…), numbers split in unusual ways
(138 05 37 12 34) or hidden in longer digit runs, numbers inside links, e-mail and social-media handles, and anything
described in words ("住在三楼的王老师"). It also hides some harmless 7-8 digit numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

REDACTED = "[已隐去]"

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_UNITS_AFTER_NUMBER = "元万亿年月日号次人户个米平吨件条份斤度%％"
# Characters people (and input methods) put inside numbers: they are matched as a plain space, or
# not at all. The text shown keeps them: only the matching sees through them.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_SPACES = {"\u3000", "\u00a0", "\u202f", "\u2007", *(chr(c) for c in range(0x2002, 0x200b))}

_SEP = r"[ .\-]?"  # between groups of digits: a space, a dot or a dash (after the view below)
_ID_CARD = (rf"(?<!\d)[1-9]\d{{5}}{_SEP}(?:18|19|20)\d{{2}}{_SEP}(?:0[1-9]|1[0-2]){_SEP}(?:0[1-9]|[12]\d|3[01])"
            rf"{_SEP}\d{{3}}[\dXx](?![0-9Xx])")
_LONG_DIGITS = r"(?<!\d)\d{15,19}(?!\d)"
_MOBILE = rf"(?<!\d)(?:(?:\+|00)?86{_SEP})?1[3-9]\d(?:{_SEP}\d{{4}}){{2}}(?!\d)"
_LANDLINE_WITH_AREA = (rf"(?<![0-9A-Za-z])(?:[(]0\d{{2,3}}[)]{_SEP}|0\d{{2,3}}{_SEP})\d{{3,4}}{_SEP}\d{{4}}"
                       r"(?:-\d{1,5})?(?!\d)")
_LANDLINE_LOCAL = (rf"(?<![0-9A-Za-z.+-])(?<!\d,)[1-9]\d{{6,7}}(?![0-9A-Za-z{_UNITS_AFTER_NUMBER}])"
                   r"(?![.,]\d)(?!-[0-9A-Za-z])")  # not decimals, thousands or the head of an id like a UUID
_PLATE_CHAR = "[A-HJ-NP-Za-hj-np-z0-9]"
_PLATE = (rf"[{_PROVINCES}] ?[A-HJ-NP-Za-hj-np-z][ ·•.-]?(?=[A-Za-z0-9]{{0,5}}\d)"
          rf"(?:{_PLATE_CHAR}{{5,6}}[挂学警]?|{_PLATE_CHAR}{{4}}[挂学警港澳])(?![A-Za-z0-9])")

# One alternation, tried in this order at each position: an ID card is never cut into a phone.
_PERSONAL = re.compile("|".join(f"(?:{p})" for p in (
    _ID_CARD, _LONG_DIGITS, _MOBILE, _LANDLINE_WITH_AREA, _LANDLINE_LOCAL, _PLATE)))


def redact(text: str) -> str:
    """`text` with every ID number, phone number and plate it recognises replaced by `[已隐去]`.

    Numbers are found however they are typed: full-width characters, ideographic or non-breaking
    spaces, zero-width characters, dots or dashes between groups, letters right before them
    (wx13812345678). Idempotent; text without such numbers comes back unchanged."""
    return _sub(text, lambda _: REDACTED)


def mask(text: str) -> str:
    """Like `redact`, but each number keeps its first 3 and last 4 characters (13805371234 ->
    138****1234; short ones keep their first 2): for logs, where operators match a caller."""
    return _sub(text, _masked)


def _view(text: str) -> tuple[str, list[int]]:
    """The text as the patterns read it (full-width ASCII as ASCII, odd spaces as a space, invisible
    characters dropped) and, for each of its characters, its index in `text`."""
    chars, index = [], []
    for i, c in enumerate(text):
        if c in _INVISIBLE:
            continue
        if c in _SPACES:
            c = " "
        elif "\uff01" <= c <= "\uff5e":
            c = chr(ord(c) - 0xFEE0)
        chars.append(c)
        index.append(i)
    return "".join(chars), index


def _sub(text: str, replacement: Callable[[re.Match[str]], str]) -> str:
    if not text:
        return text
    # Again until nothing changes: a number right after a hidden one was shielded by its neighbour
    # (13805371234+8613905371234). Each round hides digits, so this ends.
    for _ in range(8):
        view, index = _view(text)
        spans = [(index[m.start()], index[m.end() - 1] + 1, replacement(m)) for m in _PERSONAL.finditer(view)]
        if not spans:
            break
        for start, end, hidden in reversed(spans):
            text = text[:start] + hidden + text[end:]
    return text


def _masked(match: re.Match[str]) -> str:
    found = match.group(0)
    if len(found) > 8:
        return found[:3] + "*" * (len(found) - 7) + found[-4:]
    return found[:2] + "*" * (len(found) - 2)
