"""Rendered pages and documents cached per data version, so a busy board costs one small query.

The version is a handful of MAX() values that move whenever anything shown could change
(a check, an event, an observation, a track state, a target or substance edit), plus the
current minute, because pages show relative times ("1 hour ago").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.models import CheckRow, EventRow, ObservationRow, SubstanceRow, TargetRow, TrackStateRow

MAX_ENTRIES = 64


def data_version(session: Session, now: datetime) -> tuple[Hashable, ...]:
    """What the shown data depends on, in one round trip."""
    row = session.execute(select(
        select(func.max(CheckRow.id)).scalar_subquery(),
        select(func.max(EventRow.id)).scalar_subquery(),
        select(func.max(ObservationRow.id)).scalar_subquery(),
        select(func.max(TrackStateRow.updated_at)).scalar_subquery(),
        select(func.max(TargetRow.updated_at)).scalar_subquery(),
        select(func.max(SubstanceRow.updated_at)).scalar_subquery(),
        select(func.count()).select_from(TargetRow).scalar_subquery(),
    )).one()
    return (*row, now.replace(second=0, microsecond=0))


class RenderCache:
    """A small thread-safe LRU of rendered bodies keyed by (name, data version)."""

    def __init__(self, size: int = MAX_ENTRIES):
        self.size = size
        self._items: OrderedDict[tuple[Hashable, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: tuple[Hashable, ...], render: Callable[[], bytes]) -> bytes:
        """The cached body for `key`, rendering (outside the lock) on a miss."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        body = render()
        with self._lock:
            self._items[key] = body
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return body
