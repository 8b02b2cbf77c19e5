"""What a reader who may not see a resident's personal data gets of a record: THE masking, for the petition
row, its events, command answers and listings alike (issue 12 §5: one function, so they cannot disagree).

Pure: dicts in, dicts out. It may not decide who sees what: that is `api.scope.sees_personal_data`, whose
one answer picks between a record as stored and `masked(record)`.
"""

from __future__ import annotations

from typing import Any

from domain.redaction import redact

# the resident's name and phone: the reporter's (rows, PetitionReported), and the one who asked again
# about a closed petition (PetitionReopened, 结案后重办)
PERSONS = (("reporter_name", "reporter_phone"), ("contact_name", "contact_phone"),
           ("caller_name", "caller_phone"))  # a caller linked to an open petition (CallerLinked, issue 14 §2)
NESTED = ("linked_callers",)  # lists of records with persons of their own (the row's linked callers)
# free text in which residents write numbers (passed through `redact`)
FREE_TEXT = ("description", "address", "public_summary", "note", "reason", "result", "explanation", "answer",
             "triage_reason")
FREE_TEXT_LISTS = ("evidence_urls", "media_urls")  # links carry numbers too (…/13812345678.jpg?tel=…)


def masked(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of `data` (a read-model row or an event's data) with every name and phone of `PERSONS`
    masked (陈**, 138****1234) and ID, phone and plate numbers hidden in its free text (`[已隐去]`)."""
    out = {key: _redacted(key, value) for key, value in data.items()}
    for key in NESTED:
        if isinstance(out.get(key), list):
            out[key] = [masked(item) if isinstance(item, dict) else item for item in out[key]]
    for name, phone in PERSONS:
        if name in out:
            out[name] = mask_name(out[name])
        if phone in out:
            out[phone] = mask_phone(out[phone])
    return out


def masked_confidential_callers(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of `data` (a row or an event's data) whose callers who asked for 工单保密 (`confidential`: a
    linked caller, a `CallerLinked` event) are masked as by `masked`, for a reader who sees the petition's own
    reporter but would not see a confidential one's (the unit holding it); everything else as it is."""
    out = dict(data)
    for key in NESTED:
        if isinstance(out.get(key), list):
            out[key] = [masked(item) if isinstance(item, dict) and item.get("confidential") else item
                        for item in out[key]]
    if out.get("confidential") and "caller_name" in out:  # a CallerLinked event of a confidential caller
        out = masked(out)
    return out


def _redacted(key: str, value: Any) -> Any:
    if key in FREE_TEXT and isinstance(value, str):
        return redact(value)
    if key in FREE_TEXT_LISTS and isinstance(value, list):
        return [redact(item) if isinstance(item, str) else item for item in value]
    return value


def mask_representative(text: str) -> str:
    """A residents' representative of a property scoring round, for readers other than the
    supervisors who run it (the company scored must not learn who scored it): 王大妈 13812345678 ->
    王**."""
    return mask_name(redact(text).replace(" ", ""))


def mask_name(name: str) -> str:
    """陈秀英 -> 陈**, 张三 -> 张**: the first character and two stars, whatever the length (it says nothing)."""
    return name[:1] + "**" if name else name


def mask_phone(phone: str) -> str:
    """13805371234 -> 138****1234; short numbers keep only their last four digits."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) > 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * (len(digits) - 4) + digits[-4:]
