"""`python -m monitor` is the `regwatch` command."""

from monitor.cli import main

main()
