"""Scrapy settings: polite defaults; per-run values come from the crawl plan (monitor.crawl)."""

BOT_NAME = "regwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

ROBOTSTXT_OBEY = True
USER_AGENT = "regwatch (+https://github.com/regwatch/regwatch)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
# Bodies the scraper may hold while the pipeline processes captures before the engine stops
# starting downloads. Scrapy's default (5 MB, under 100 FDA pages) is reached as soon as
# processing lags the downloads, and nothing then restarts the engine but its 5 s heartbeat
# (scrapy/scrapy#6206): 1,000 unchanged loopback pages took 24 s instead of 6 s. 64 MB keeps
# memory bounded while downloads and processing overlap.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 64 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False
LOG_LEVEL = "WARNING"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# The SSRF guard first; then robots.txt preloaded per origin (Scrapy's own RobotsTxtMiddleware,
# at 100, still handles any origin that was not preloaded).
DOWNLOADER_MIDDLEWARES = {"spiders.middlewares.UrlGuardMiddleware": 50,
                          "spiders.middlewares.PreloadedRobotsMiddleware": 60,
                          "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
                          "scrapy.downloadermiddlewares.stats.DownloaderStats": None}
# Components a watch crawl has no use for, each a step on every request: no Referer to send,
# no depth or URL length to police (the spider follows one level itself), no HTTP auth, no
# statistics to keep. Together ~10 % of the crawl's per-request CPU.
SPIDER_MIDDLEWARES = {"scrapy.spidermiddlewares.referer.RefererMiddleware": None,
                      "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
                      "scrapy.spidermiddlewares.depth.DepthMiddleware": None}
EXTENSIONS = {"scrapy.extensions.logstats.LogStats": None, "scrapy.extensions.corestats.CoreStats": None}
ITEM_PIPELINES = {"spiders.pipelines.CapturePipeline": 100}
REMOTE_CONTROL_ENABLED = False  # no listening port in a crawl child
MEMUSAGE_ENABLED = False
LOGSTATS_INTERVAL = 0
