"""A reporter's name from GeoReport's `first_name` (the given name) and `last_name` (the family name).

Chinese, Japanese and Korean names are written family name first, without a space: last_name=张,
first_name=三 is 张三 (masked 张**). Other names keep their own order: first_name=Jane,
last_name=Doe is "Jane Doe".
"""

from __future__ import annotations

import re

# Han ideographs (with extensions and compatibility forms), kana, Hangul
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]")


def display_name(first_name: str, last_name: str) -> str:
    """The reporter's name from GeoReport's `first_name` and `last_name`: family name first without a space for CJK
    names (张三), `first last` otherwise; '' if both are empty."""
    first, last = first_name.strip(), last_name.strip()
    if _CJK.search(first) or _CJK.search(last):
        return last + first
    return " ".join(part for part in (first, last) if part)
