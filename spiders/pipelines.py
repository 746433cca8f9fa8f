"""The pipeline hands each capture to monitor's processor, off the reactor thread."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.orm import sessionmaker

from monitor.capture import Capture
from monitor.crawl import load_plan
from monitor.db import make_engine
from monitor.errors import CrawlError
from monitor.preview import Previewer
from monitor.process import Outcome, Processor
from monitor.reading import Early


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class CapturePipeline:
    """Stores and assesses captures; one worker thread keeps database writes in order."""

    def __init__(self, crawler: Crawler, plan_path: str):
        self.crawler = crawler
        self.plan_path = plan_path
        self.processor: Processor | Previewer | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regwatch-process")
        # Captures handed to the worker and captures it has finished, each counted by one thread.
        self.submitted = 0
        self.finished = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CapturePipeline:
        # The plan: the REGWATCH_PLAN setting (the local crawl child sets a path; Scrapyd may pass
        # `setting=REGWATCH_PLAN=…`), or else the spider's `plan` argument (read in open_spider).
        return cls(crawler, crawler.settings.get("REGWATCH_PLAN") or "")

    def open_spider(self) -> None:
        arg = self.plan_path or getattr(self.crawler.spider, "plan_arg", "")
        if not arg:
            raise CrawlError("no crawl plan: set REGWATCH_PLAN or pass the spider argument `plan`")
        plan = load_plan(arg)
        # The scheduler that wrote the plan has migrated the database already; a crawl never
        # migrates (on a Scrapyd node the code runs from a zipped egg, where Alembic cannot
        # read its migration scripts).
        sessions = sessionmaker(make_engine(plan.database_url), expire_on_commit=False)
        if plan.preview_path:
            self.processor = Previewer(plan, sessions)
            return
        self.processor = Processor(plan, sessions, _now)

    def close_spider(self) -> None:
        if self.processor is not None:
            self.executor.submit(self.processor.close).result()
        self.executor.shutdown(wait=True)

    def _process(self, processor: Processor | Previewer, capture: Capture,
                 ahead: Future[Early] | None) -> Outcome:
        outcome = processor.handle(capture, batch=True, ahead=ahead)
        self.finished += 1
        if self.finished == self.submitted:
            # Nothing else queued: write what the processor batched (unchanged checks) now
            # rather than let it wait for a busier moment.
            processor.flush()
        return outcome

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, Capture) and self.processor is not None:
            loop = asyncio.get_running_loop()
            self.submitted += 1
            # Reading starts now, in a worker process, while earlier captures are still being stored.
            ahead = self.processor.read_ahead(item)
            outcome = await loop.run_in_executor(self.executor, self._process, self.processor, item, ahead)
            if outcome.needs_confirmation and self.crawler.spider is not None:
                self.crawler.engine.crawl(self.crawler.spider.confirm_request(item))  # type: ignore[union-attr]
        return item
