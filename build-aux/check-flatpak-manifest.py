#!/usr/bin/env python3
"""Check the structure of Quantscope's Flatpak manifest.

The manifest must parse as JSON and name the GNOME runtime and SDK. It must
grant the sandbox the permissions the app needs (DRI for Vulkan, Wayland with
an X11 fallback, IPC) and nothing that reaches the host file system. Every
downloaded source must be pinned: an archive or file by url and sha256, a git
source by commit. Only the app module itself may build from a local folder.

Usage: check-flatpak-manifest.py MANIFEST
"""

import json
import re
import sys

REQUIRED_KEYS = ("id", "runtime", "runtime-version", "sdk", "command", "finish-args", "modules")
REQUIRED_FINISH_ARGS = ("--device=dri", "--share=ipc", "--socket=wayland", "--socket=fallback-x11")
# File-system grants that give the sandbox the user's or the system's files.
# The app needs none because files reach it through the file chooser portal.
FORBIDDEN_FILESYSTEMS = re.compile(r"^--filesystem=(host|host-os|host-etc|home|/|~)(/|:|$)")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
APP_MODULE = "quantscope"


def check_source(module_name, index, source, errors):
    where = f"module {module_name!r}, source {index}"

    if not isinstance(source, dict):
        errors.append(f"{where}: a source must be an object, not {type(source).__name__}")
        return

    kind = source.get("type")
    if kind in ("archive", "file"):
        if not str(source.get("url", "")).startswith("https://"):
            errors.append(f"{where}: {kind} source needs an https:// url")
        if not SHA256.match(str(source.get("sha256", ""))):
            errors.append(f"{where}: {kind} source needs a sha256 of 64 hex digits")
    elif kind == "git":
        if not str(source.get("url", "")).startswith("https://"):
            errors.append(f"{where}: git source needs an https:// url")
        if not COMMIT.match(str(source.get("commit", ""))):
            errors.append(f"{where}: git source needs a commit of 40 hex digits")
    elif kind == "dir":
        if module_name != APP_MODULE:
            errors.append(f"{where}: only the {APP_MODULE!r} module may build from a local folder")
    elif kind == "patch":
        if "path" not in source:
            errors.append(f"{where}: patch source needs a path")
    else:
        errors.append(f"{where}: unsupported source type {kind!r}")


def check_module(module, errors):
    if not isinstance(module, dict):
        errors.append(f"a module must be an object, not {type(module).__name__}")
        return None

    name = module.get("name")
    if not name:
        errors.append("a module has no name")
        name = "?"

    sources = module.get("sources")
    if not isinstance(sources, list) or not sources:
        errors.append(f"module {name!r} has no sources")
        return name

    for index, source in enumerate(sources):
        check_source(name, index, source, errors)

    return name


def check_manifest(manifest):
    errors = []

    if not isinstance(manifest, dict):
        return ["the manifest must be a JSON object"]

    for key in REQUIRED_KEYS:
        if key not in manifest:
            errors.append(f"missing key {key!r}")

    if manifest.get("id") != "io.github.quantscope.Quantscope":
        errors.append(f"id is {manifest.get('id')!r}, expected 'io.github.quantscope.Quantscope'")
    if manifest.get("runtime") != "org.gnome.Platform":
        errors.append(f"runtime is {manifest.get('runtime')!r}, expected 'org.gnome.Platform'")
    if manifest.get("sdk") != "org.gnome.Sdk":
        errors.append(f"sdk is {manifest.get('sdk')!r}, expected 'org.gnome.Sdk'")
    if not re.match(r"^\d+$", str(manifest.get("runtime-version", ""))):
        errors.append(f"runtime-version {manifest.get('runtime-version')!r} is not a GNOME release number")

    finish_args = manifest.get("finish-args", [])
    for arg in REQUIRED_FINISH_ARGS:
        if arg not in finish_args:
            errors.append(f"finish-args lacks {arg}")
    for arg in finish_args:
        if FORBIDDEN_FILESYSTEMS.match(str(arg)):
            errors.append(f"finish-args grants host file access with {arg}")

    modules = manifest.get("modules", [])
    if not isinstance(modules, list) or not modules:
        errors.append("modules must be a non-empty list")
        return errors

    names = [check_module(module, errors) for module in modules]
    if names[-1] != APP_MODULE:
        errors.append(f"the last module is {names[-1]!r}, expected {APP_MODULE!r}")

    return errors


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} MANIFEST", file=sys.stderr)
        return 2

    try:
        with open(argv[1], encoding="utf-8") as stream:
            manifest = json.load(stream)
    except (OSError, json.JSONDecodeError) as error:
        print(f"{argv[1]}: failed to read the manifest: {error}", file=sys.stderr)
        return 1

    errors = check_manifest(manifest)
    for error in errors:
        print(f"{argv[1]}: {error}", file=sys.stderr)
    if errors:
        return 1

    print(f"{argv[1]}: {len(manifest['modules'])} modules, every source pinned")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
