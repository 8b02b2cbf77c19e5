"""Duplicates and bursts (issue 14 §5): which open petitions look like the same problem as a new report,
and whether a report falls inside a burst a dispatcher declared. Pure: no I/O, no clock.

The duplicate rule (`duplicate_candidates`), as a dispatch desk of 12345 checks a new order against the
open ones before it makes another (重复件 / 合并工单): an open petition of the **same category**, reported
**within the window** before now, at the **same place** (the same grid, or, when both have a point, within
`distance_m` metres), whose description is **similar** (`text_score` at least `min_text_score`). Ranked
by text score (highest first), then by distance (nearest first; same grid without points last), then by
age (oldest first: the one most likely to be the survivor of a merge); at most `limit`.

Text similarity is the Dice coefficient of the two texts' character bigrams after normalising them (NFKC,
lower case, letters and digits only): Chinese has no spaces to split words on, and bigrams are the usual
unit for short Chinese texts (the same measure as PostgreSQL's pg_bigm). Distances are great-circle
distances on the mean Earth radius (haversine): the domain may import no geodesy library, and within the
few kilometres these rules use the sphere is off by less than 0.5 %.

A burst (a water main breaks: forty calls in an hour) is declared by a dispatcher on one open petition
(`BurstDeclared`): until when, which grids, how far around a point, and optionally which words a report
must mention. A later report joins the burst (`burst_match`) — linked to it as another reporter, no new
work order — only when it has the burst petition's category, arrives before `until`, lies in one of the
burst's grids or within `radius_m` of its point, and mentions one of its `keywords` if it has any. The
reporter can always say it is a different problem (`separate_matter` at intake), and every join is an
event naming why it matched.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from domain.model import Burst

EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG), metres
MAX_BURST = timedelta(days=3)  # a burst lasts at most this long after it is declared (declare it again to extend)
MAX_BURST_RADIUS_M = 5_000.0


class DuplicateRule(BaseModel):
    """The duplicate rule's figures (settings `JIEHU_DUPLICATE_*`): `window_seconds` back from now in which an
    open petition counts, `distance_m` metres between two points, `min_text_score` 0..1, `limit` candidates."""

    model_config = ConfigDict(frozen=True)

    window_seconds: float = Field(default=7 * 24 * 3600.0, gt=0)  # a week: an open order older is rarely re-reported
    distance_m: float = Field(default=300.0, ge=0)  # about a block in a Chinese city
    min_text_score: float = Field(default=0.2, ge=0, le=1)
    limit: int = Field(default=5, ge=1, le=50)


class Sketch(BaseModel):
    """What the rules read of a petition or a report: a read-model row's columns, or a report's fields
    (`id` '' and `status` '' for a report not yet made). `latitude`/`longitude`: WGS84 degrees or None."""

    model_config = ConfigDict(frozen=True)

    id: str = ""
    status: str = ""
    category: str
    description: str
    grid_code: str
    latitude: float | None = None
    longitude: float | None = None
    reported_at: datetime | None = None


class Candidate(BaseModel):
    """An open petition that looks like the same problem, and why: `same_grid`, `distance_m` (metres between
    the two points, None without both), `text_score` (0..1, the descriptions' bigram Dice coefficient)."""

    model_config = ConfigDict(frozen=True)

    petition_id: str
    status: str
    reported_at: datetime | None
    same_grid: bool
    distance_m: float | None
    text_score: float


class BurstMatch(BaseModel):
    """Why a report joins a burst: `same_grid` (its grid is one of the burst's), `distance_m` from the burst's
    point (None without both points), `keyword` the report mentions ('' when the burst names none)."""

    model_config = ConfigDict(frozen=True)

    same_grid: bool
    distance_m: float | None
    keyword: str = ""

    def describe(self) -> str:
        """The reason a join records, in Chinese and English, e.g. "突发集中诉求: 同一网格 / burst: same grid"."""
        apart = f"{self.distance_m or 0:.0f}"
        where = "同一网格 / same grid" if self.same_grid else f"相距{apart}米 / {apart} m away"
        said = f", 含关键词“{self.keyword}” / mentions {self.keyword}" if self.keyword else ""
        return f"突发集中诉求: {where}{said}"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points (degrees), by the haversine formula on the
    mean Earth radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def normalized(text: str) -> str:
    """`text` as the similarity reads it: NFKC (full-width to half-width), lower case, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def _bigrams(text: str) -> list[str]:
    t = normalized(text)
    return [t] if len(t) < 2 else [t[i:i + 2] for i in range(len(t) - 1)]


def text_score(a: str, b: str) -> float:
    """Similarity of two descriptions, 0..1: the Dice coefficient of their normalised character bigrams (a
    multiset: 2·|common| / (|A| + |B|)), rounded to 3 places. 0 when either is empty after normalising."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y or x == [""] or y == [""]:
        return 0.0
    pool: dict[str, int] = {}
    for g in x:
        pool[g] = pool.get(g, 0) + 1
    common = 0
    for g in y:
        if pool.get(g, 0) > 0:
            pool[g] -= 1
            common += 1
    return round(2 * common / (len(x) + len(y)), 3)


def _distance(a: Sketch, b: Sketch) -> float | None:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    assert a.latitude is not None and a.longitude is not None and b.latitude is not None and b.longitude is not None
    return round(distance_m(a.latitude, a.longitude, b.latitude, b.longitude), 1)


def duplicate_candidates(report: Sketch, others: Iterable[Sketch], now: datetime,
                         rule: DuplicateRule) -> list[Candidate]:
    """The open petitions among `others` that look like the same problem as `report` at `now` (aware), by
    the rule of the module docstring, ranked and capped at `rule.limit`. `report` itself (same id) and
    closed petitions are never candidates."""
    since = now - timedelta(seconds=rule.window_seconds)
    found = []
    for other in others:
        if other.id == report.id or other.status in ("", "closed") or other.category != report.category:
            continue
        if other.reported_at is None or not since <= other.reported_at <= now:
            continue
        same_grid = other.grid_code == report.grid_code
        apart = _distance(report, other)
        if not same_grid and (apart is None or apart > rule.distance_m):
            continue
        score = text_score(report.description, other.description)
        if score < rule.min_text_score:
            continue
        found.append(Candidate(petition_id=other.id, status=other.status, reported_at=other.reported_at,
                               same_grid=same_grid, distance_m=apart, text_score=score))
    found.sort(key=lambda c: (-c.text_score, c.distance_m if c.distance_m is not None else math.inf,
                              c.reported_at, c.petition_id))
    return found[:rule.limit]


def burst_problem(declared_at: datetime, until: datetime, radius_m: float) -> str | None:
    """Why a burst cannot be declared at `declared_at` with this end and radius (None: it can): `until` must be
    later, and at most `MAX_BURST` (3 days) later; the radius at most `MAX_BURST_RADIUS_M` (5 km)."""
    if until <= declared_at:
        return "until: a burst ends after it is declared"
    if until - declared_at > MAX_BURST:
        return f"until: a burst lasts at most {MAX_BURST.days} days; declare it again to extend it"
    if not 0 <= radius_m <= MAX_BURST_RADIUS_M:
        return f"radius_m: 0 to {MAX_BURST_RADIUS_M:.0f} metres"
    return None


def burst_match(burst: Burst, petition: Sketch, report: Sketch, now: datetime) -> BurstMatch | None:
    """Whether `report` (arriving at `now`) joins the `burst` declared on `petition`, and why; None when it does
    not: the petition is closed, the burst has ended, another category, outside the burst's grids and radius,
    or (a burst with keywords) none of them in the report's description."""
    if petition.status == "closed" or now > burst.until or report.category != petition.category:
        return None
    same_grid = report.grid_code in burst.grid_codes
    apart = None
    if burst.latitude is not None and burst.longitude is not None \
            and report.latitude is not None and report.longitude is not None:
        apart = round(distance_m(burst.latitude, burst.longitude, report.latitude, report.longitude), 1)
    if not same_grid and (apart is None or apart > burst.radius_m):
        return None
    keyword = ""
    if burst.keywords:
        said = normalized(report.description)
        keyword = next((k for k in burst.keywords if normalized(k) and normalized(k) in said), "")
        if not keyword:
            return None
    return BurstMatch(same_grid=same_grid, distance_m=apart, keyword=keyword)
