"""`python -m monitor` is the `regwatch` command."""

import sys

if sys.argv[1:2] == ["check"]:
    # A one-shot check will crawl: start the crawl child now, so that Scrapy loads in it while
    # this process loads the CLI and claims the targets (monitor.crawl.prestart).
    from monitor.crawl import prestart
    from monitor.errors import SettingError
    from monitor.settings import load_settings

    try:
        if load_settings().crawl_backend == "local":
            prestart()
    except SettingError:
        pass  # the command reports it in a moment

from monitor.cli import main

main()
