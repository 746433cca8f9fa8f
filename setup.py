"""Shim for `python setup.py bdist_egg`, which `scrapyd-deploy` runs to build the Scrapyd egg.

Everything else (metadata, packages, the `scrapy` entry point) is in pyproject.toml.
"""

from setuptools import setup

setup()
