"""The one exception tree of regwatch.

    RegwatchError                 expected failure; the CLI prints one line and exits non-zero
    ├── ConfigError               a config file or setting is wrong (exit code 2)
    │   ├── SettingError          a REGWATCH_* environment variable is wrong
    │   └── Invalid               an operator's input (CLI option, form field) is wrong, per field
    ├── StoreError                the database cannot be used as asked (exit code 3)
    ├── CheckFailed               one fetch/parse could not be trusted; recorded as a failed check
    │   ├── FetchFailed           network error, HTTP error status, timeout, robots.txt refusal
    │   ├── BadDocument           bot-protection or site-error page, empty, truncated or unreadable body
    │   └── DocumentInvalid       a parser's sanity markers are missing (never read as a status)
    ├── CrawlError                the crawl child process failed as a whole
    ├── DeliveryError             a notification channel refused a message
    ├── NotFound                  a named target, substance, event or delivery does not exist (exit code 4)
    ├── Conflict                  the object was changed by someone else since it was read (exit code 5)
    └── AccessDenied              unknown user, wrong password or token, or a role without the right (exit code 6)

Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class RegwatchError(Exception):
    """Base class of every expected regwatch failure."""

    exit_code = 1


class ConfigError(RegwatchError):
    """A config file or setting is invalid; the message names file, entry, key and value."""

    exit_code = 2


class SettingError(ConfigError):
    """A REGWATCH_* environment variable has a value that cannot be used."""


class Invalid(ConfigError):
    """Operator input failed validation; `fields` maps each bad field to what is wrong with it."""

    def __init__(self, subject: str, fields: dict[str, str]):
        self.subject = subject
        self.fields = dict(fields)
        super().__init__(f"{subject}: " + "; ".join(f"{k}: {v}" for k, v in self.fields.items()))


class StoreError(RegwatchError):
    """The database could not be opened, migrated or written as asked."""

    exit_code = 3


class CheckFailed(RegwatchError):
    """One fetched document cannot be trusted; becomes a failed check with this reason."""


class FetchFailed(CheckFailed):
    """The fetch itself failed: network error, HTTP error status, timeout, robots.txt."""


class BadDocument(CheckFailed):
    """The body is not the document we asked for: bot page, site-error page, empty or broken."""


class DocumentInvalid(CheckFailed):
    """The document lacks the markers its parser needs to read a trustworthy status."""


class CrawlError(RegwatchError):
    """The crawl child process failed or timed out as a whole."""


class DeliveryError(RegwatchError):
    """A notification channel did not accept a message."""


class NotFound(RegwatchError):
    """A named object does not exist."""

    exit_code = 4


class Conflict(RegwatchError):
    """The object changed since the caller read it; nothing was written."""

    exit_code = 5


class AccessDenied(RegwatchError):
    """Authentication failed, or the account's role does not allow the action."""

    exit_code = 6
