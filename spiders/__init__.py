"""Scrapy spiders of regwatch: thin fetchers that hand captures to monitor (nothing runs at import)."""
