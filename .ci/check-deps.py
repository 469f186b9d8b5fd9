#!/usr/bin/python3
"""Checks that .ci/debian-packages.txt brings everything the configure step used on a fresh machine.

Every file under /usr that CMake resolved (the absolute paths in build/CMakeCache.txt: libraries,
include dirs, executables, package config dirs) must belong to a Debian package that the list names,
that the list pulls in through Depends/Pre-Depends (apt-get installs with --no-install-recommends, so
Recommends do not count), or that is essential/required (on every Debian system). A package found only
because someone installed it by hand makes CI green and a fresh machine fail: that is what this catches.

Usage: check-deps.py [BUILD_DIR] [--packages FILE]   (exit 1 naming each package a fresh install lacks)
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Packages CMake merely finds when present; the build works without them. Each with its reason.
OPTIONAL = {
    "pkgconf": "pkg-config: FindPkgConfig runs it when present (LLVM's config looks up libffi/libxml2 with it); "
                  "without it CMake finds those through their own paths",
    "libxml2-utils": "xmllint: LLVM's CMake config looks for it; nothing in Heed's build runs it",
}


def read_list(path):
    with open(path) as f:
        return [line.split("#")[0].strip() for line in f if line.split("#")[0].strip()]


def run(args):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout


def closure(packages):
    """The packages a --no-install-recommends install of `packages` brings (installed ones only:
    the machine already holds the result of that install)."""
    out = run(["apt-cache", "depends", "--recurse", "--installed", "--no-recommends",
               "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"]
              + packages)
    names = {line.strip() for line in out.splitlines() if line and not line[0].isspace()}
    return {n.split(":")[0] for n in names} | set(packages)


def base_system():
    """Essential and required packages: on every Debian system before anything is installed."""
    out = run(["dpkg-query", "-W", "-f=${Package}\t${Essential}\t${Priority}\n"])
    base = set()
    for line in out.splitlines():
        name, essential, priority = (line.split("\t") + ["", ""])[:3]
        if essential == "yes" or priority == "required":
            base.add(name)
    return base


def spellings(path):
    """The names dpkg may know `path` by: itself, its link target, the merged-/usr spelling."""
    names = [path, os.path.realpath(path)]
    return names + [p[len("/usr"):] for p in names if p.startswith("/usr/")]


def owners(paths):
    """{path: set of owning packages} for every path, with one dpkg call for all of them."""
    queries = sorted({s for p in paths for s in spellings(p)})
    owned = {}
    for line in run(["dpkg", "-S"] + queries).splitlines():
        names, sep, path = line.rpartition(": ")
        if sep and not names.startswith("diversion"):
            owned.setdefault(path, set()).update(n.strip().split(":")[0] for n in names.split(","))
    return {p: next((owned[s] for s in spellings(p) if s in owned), set()) for p in paths}


def resolved_paths(cache):
    """(variable, path) for every absolute path under /usr that the configure step stored."""
    entry = re.compile(r"^([A-Za-z0-9_.+-]+):(FILEPATH|PATH|STRING|UNINITIALIZED)=(.*)$")
    with open(cache) as f:
        for line in f:
            m = entry.match(line.rstrip("\n"))
            if not m or m.group(1).startswith("CMAKE_INSTALL_"):
                continue
            for value in m.group(3).split(";"):
                if value.startswith("/usr/") and os.path.exists(value):
                    yield m.group(1), value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--packages", default=os.path.join(HERE, "debian-packages.txt"))
    args = parser.parse_args()
    cache = os.path.join(args.build, "CMakeCache.txt")
    if not os.path.isfile(cache):
        sys.exit(f"check-deps: {cache} does not exist: configure first (.ci/build.sh)")
    listed = read_list(args.packages)
    allowed = closure(listed) | base_system()
    missing = {}  # package -> [(variable, path)]
    unowned = []
    uses = list(resolved_paths(cache))
    owned = owners([path for _, path in uses])
    for variable, path in uses:
        found = owned[path]
        if not found:
            unowned.append((variable, path))
        elif not found & allowed and not found & OPTIONAL.keys():
            for pkg in sorted(found)[:1]:
                missing.setdefault(pkg, []).append((variable, path))
    for pkg, uses in sorted(missing.items()):
        where = ", ".join(f"{v}={p}" for v, p in uses[:3])
        print(f"check-deps: package '{pkg}' is used by the configure step ({where}) but "
              f"{os.path.relpath(args.packages)} neither names it nor depends on it: "
              f"a fresh machine would not have it")
    for variable, path in unowned:
        print(f"check-deps: {variable}={path} belongs to no Debian package (installed by hand?)")
    if missing or unowned:
        return 1
    print(f"check-deps: ok, {len(uses)} resolved paths, all from {len(listed)} listed packages, "
          f"their dependencies or the base system")
    return 0


if __name__ == "__main__":
    sys.exit(main())
