"""`/healthz`: can the dashboard reach its database, and is the scheduler beating?

200 with status `ok` or `degraded` (the scheduler's heartbeat is missing or older than three
of its intervals: the data shown is going stale); 503 with `down` when the database cannot
be read, because then no page can be served.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from monitor.heartbeat import SCHEDULER, Pulse, pulse
from monitor.views import iso
from monitor.web.context import Ctx
from monitor.web.schemas import DatabaseHealth, Health, SchedulerHealth

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health, "description": "Database unreachable."}},
            summary="Database reachability and the scheduler's heartbeat age")
def healthz(ctx: Ctx) -> JSONResponse:
    """Whether the database answers and how long ago the scheduler last beat."""
    now = ctx.clock()
    error = None
    beat = Pulse(SCHEDULER, None, None, None, False)
    try:
        with ctx.sessions() as s:
            beat = pulse(s, SCHEDULER, now)
    except SQLAlchemyError as exc:
        # The class and first line say enough (unreachable file, refused connection) without a dump.
        error = f"{exc.__class__.__name__}: {str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}"
    body = Health(
        status="down" if error else "ok" if beat.alive else "degraded",
        database=DatabaseHealth(ok=error is None, error=error),
        scheduler=SchedulerHealth(ok=beat.alive, last_beat_at=iso(beat.beat_at),
                                  age_seconds=None if beat.age_seconds is None else round(beat.age_seconds, 1),
                                  interval_seconds=beat.interval_seconds),
    )
    return JSONResponse(body.model_dump(), status_code=503 if error else 200,
                        headers={"Cache-Control": "no-store"})
