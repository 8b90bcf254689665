"""The web console of ``moto-forge serve`` (``/-/console``): buckets, a bucket's keys as
folders, objects with their manifests, a bucket's history of roots with diffs and
exports, and where the data is (Forge).  See :mod:`moto_forge.console.app`."""

from moto_forge.console.app import CONSOLE_PATH, ConsoleApp

__all__ = ["CONSOLE_PATH", "ConsoleApp"]
