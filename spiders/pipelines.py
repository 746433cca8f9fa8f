"""The pipeline hands each capture to monitor's processor, off the reactor thread."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.capture import Capture, CrawlPlan
from monitor.db import open_store
from monitor.process import Processor


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class CapturePipeline:
    """Stores and assesses captures; one worker thread keeps database writes in order."""

    def __init__(self, plan_path: str):
        self.plan_path = plan_path
        self.processor: Processor | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regwatch-process")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CapturePipeline:
        path = crawler.settings.get("REGWATCH_PLAN")
        if not path:
            raise NotConfigured("REGWATCH_PLAN (the crawl plan path) is not set")
        return cls(path)

    def open_spider(self) -> None:
        plan = CrawlPlan.load(Path(self.plan_path))
        self.processor = Processor(plan, open_store(plan.database_url), _now)

    def close_spider(self) -> None:
        self.executor.shutdown(wait=True)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, Capture) and self.processor is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self.executor, self.processor.handle, item)
        return item
