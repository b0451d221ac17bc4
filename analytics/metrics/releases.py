"""Which tag names are releases, and their versions.

A release is `v` (optional) followed by digits and dots: `2.3.1`, `v1.0`. Prereleases (`2.0.0rc1`,
`1.0a1`, `dev`) and branch-archive tags (`2.3.x`) are not: the name must be digits and dots only.
"""

import re

RELEASE_NAME = re.compile(r"^v?(\d+(?:\.\d+)*)$")


def release_version(name: str) -> tuple[int, ...] | None:
    """The version of a release tag (`v2.3.1` -> (2, 3, 1)), or None when it is not one."""
    matched = RELEASE_NAME.match(name.strip())
    if matched is None:
        return None
    return tuple(int(part) for part in matched.group(1).split("."))


def major_minor(version: tuple[int, ...]) -> tuple[int, int]:
    """The release line a version belongs to: `1` and `1.0.3` are both on line (1, 0)."""
    padded = (*version, 0, 0)
    return padded[0], padded[1]
