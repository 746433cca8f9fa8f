"""The floor under any Scrapy-based check: a bare Scrapy spider fetching the farm, nothing more.

Same interpreter and Scrapy as regwatch, the same concurrency (10 per domain, no delay), no
robots.txt, no middlewares of ours, no processing, no database: what one run of `regwatch check`
cannot go below on this farm while it downloads every page with Scrapy. The results set it
beside the peers' cycles, so that a goal below it is seen to be out of reach of the stack.

`python floor.py URLS_FILE CONCURRENCY` is run with regwatch's interpreter (it has Scrapy).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

SPIDER = Path(__file__).resolve()


def measure_floor(python: Path, urls: list[str], concurrency: int, work: Path) -> dict[str, Any]:
    """Wall, CPU and peak RSS of the bare spider over `urls`."""
    from bench import measure

    work.mkdir(parents=True, exist_ok=True)
    listing = work / "floor-urls.txt"
    listing.write_text("\n".join(urls), encoding="utf-8")
    m = measure.run([str(python), str(SPIDER), str(listing), str(concurrency)], cwd=work)
    if m.returncode != 0:
        raise RuntimeError(f"bare Scrapy spider failed ({m.returncode}): {m.stderr[-1500:]}")
    fetched = int(m.stdout.strip().splitlines()[-1])
    return {"wall_s": m.wall_s, "cpu_s": m.cpu_s, "peak_rss_mb": m.peak_rss_mb, "fetched": fetched,
            "definition": f"bare Scrapy spider, {concurrency} per domain, no processing: the stack's floor"}


def _crawl(listing: Path, concurrency: int) -> int:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = listing.read_text(encoding="utf-8").split()
    fetched = [0]

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response: Any) -> Any:
            fetched[0] += 1
            return None

    process = CrawlerProcess({"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False,
                              "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "CONCURRENT_REQUESTS": concurrency * 4,
                              "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False})
    process.crawl(Bare)
    process.start()
    return fetched[0]


if __name__ == "__main__":
    print(_crawl(Path(sys.argv[1]), int(sys.argv[2])))
