"""Which requirements of the wheels in a folder no wheel there satisfies, for a target platform.

    python packaging/wheelhouse_missing.py FOLDER [--platform TAG] [--python-version X.Y]

pip download --platform evaluates environment markers for the machine it runs on, so a wheelhouse
made on Linux for Windows lacks the Windows-only dependencies (keyring's pywin32-ctypes, psycopg's
tzdata). This prints them (one requirement a line) so wheelhouse.sh can download them too; it
prints nothing when the folder is complete. Uses pip's vendored ``packaging``: no extra install.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

from pip._vendor.packaging.markers import default_environment
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename


def target_environment(platform: str, python_version: str) -> dict[str, str]:
    """Marker values for the target: OS from the wheel platform tag, the Python version given."""
    env = dict(default_environment())
    if platform.startswith("win"):
        env.update(sys_platform="win32", platform_system="Windows", os_name="nt")
    elif platform.startswith("macosx"):
        env.update(sys_platform="darwin", platform_system="Darwin", os_name="posix")
    elif platform:
        env.update(sys_platform="linux", platform_system="Linux", os_name="posix")
    if python_version:
        env.update(python_version=python_version, python_full_version=f"{python_version}.0")
    return env


def missing(folder: Path, env: dict[str, str]) -> list[str]:
    """Requirements (as strings) of the folder's wheels that no wheel in the folder satisfies."""
    have: dict[str, str] = {}
    requires: list[Requirement] = []
    for wheel in sorted(folder.glob("*.whl")):
        name, version, _build, _tags = parse_wheel_filename(wheel.name)
        have[canonicalize_name(name)] = str(version)
        with zipfile.ZipFile(wheel) as archive:
            meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            message = Parser().parsestr(archive.read(meta).decode("utf-8"))
        requires += [Requirement(r) for r in message.get_all("Requires-Dist") or []]
    out: list[str] = []
    for req in requires:
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        found = have.get(canonicalize_name(req.name))
        if found is None or (req.specifier and not req.specifier.contains(found, prereleases=True)):
            spec = str(req.specifier)
            if f"{req.name}{spec}" not in out:
                out.append(f"{req.name}{spec}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--platform", default="")
    parser.add_argument("--python-version", default="")
    args, _rest = parser.parse_known_args()
    for requirement in missing(args.folder, target_environment(args.platform, args.python_version)):
        print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main())
