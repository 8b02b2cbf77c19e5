"""The SMS survey's replies (短信回访, issue 13 §6): what a resident's answer to "回复1满意 2基本满意 3不满意"
means, and the phone number a reply is matched on. Pure: the inbound webhook (`services/sms_inbound.py`)
does the I/O.

A reply is read strictly: one digit 1–3 (full-width or half-width, spaces and a trailing full stop
allowed), or the words of the answer itself (满意, 基本满意, 不满意); `TD` (or 退订) is the opt-out the
messages offer. Anything else is unclear: kept and shown to the return visitors, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from domain.enums import VisitOutcome

OPT_OUT: Literal["opt_out"] = "opt_out"
Reading = VisitOutcome | Literal["opt_out"] | None

_ANSWERS: dict[str, Reading] = {
    "1": VisitOutcome.SATISFIED, "满意": VisitOutcome.SATISFIED,
    "2": VisitOutcome.BASICALLY_SATISFIED, "基本满意": VisitOutcome.BASICALLY_SATISFIED,
    "3": VisitOutcome.DISSATISFIED, "不满意": VisitOutcome.DISSATISFIED,
    "TD": OPT_OUT, "T": OPT_OUT, "退订": OPT_OUT,
}
_NOISE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff。.!！]+")


def read_reply(text: str) -> Reading:
    """The visit outcome a reply gives, `opt_out` for TD/退订, None for anything else (unclear)."""
    cleaned = _NOISE.sub("", unicodedata.normalize("NFKC", text)).upper()
    return _ANSWERS.get(cleaned)


def phone_key(phone: str) -> str:
    """The digits a reply is matched on: `+86 138-0537-1234`, `008613805371234` and `13805371234` agree."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone) if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix):]
    return digits
