#!/usr/bin/env python3
"""Checks that the libraries' #includes follow the layers and match the declared CMake dependencies.

    python3 scripts/check-layers.py MODULES_FILE [SOURCE_DIR]
    python3 scripts/check-layers.py --self-test MODULES_FILE [SOURCE_DIR]

MODULES_FILE is written by CMake (fp_module, one line per library: name, folder, DEPS, TEST_DEPS), so
the dependencies checked are the ones the build declares. The rules, for every library M:
  1. M's own files include only M's headers and those of its declared DEPS (not a dependency's
     dependency: what a library uses, it declares);
  2. each declared DEP is used (included) by M;
  3. each declared DEP sits in a lower layer than M (LAYERS below), so nothing includes upwards;
  4. M's tests (*_test.cc, *_for_test.h, *_test_util.h) may also include TEST_DEPS and the testing/ helpers;
  5. no include climbs out of its folder with "..".
The build's per-library include roots already make an undeclared include fail to compile; this
check adds what the compiler cannot see (transitive dependencies, stale and upward declarations).
--self-test copies the tree, plants an upward include and an undeclared one, and fails unless the
check rejects each of them. Exit code 0: clean; 1: violations (listed one per line).
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

# The layers, lowest first. A library may depend only on libraries of a lower layer.
LAYERS = {
    "fp_common": 0,
    "fp_aws": 1,
    "fp_config": 2, "fp_state": 2, "fp_emulator": 2, "fp_testing": 2,
    "fp_report": 3, "fp_metrics": 3, "fp_notify": 3,
    "fp_workflow": 4,
    "fp_cli": 5,
}
TEST_SUPPORT = "fp_testing"
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def read_modules(path):
    """name -> {dir, deps, test_deps} from the file CMake writes (name|dir|deps;...|test_deps;...)."""
    modules = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip():
            continue
        name, folder, deps, test_deps = line.split("|")
        own = lambda s: [d for d in s.split(";") if d.startswith("fp_")]
        modules[name] = {"dir": folder, "deps": own(deps), "test_deps": own(test_deps)}
    return modules


def is_test(path):
    return path.name.endswith(("_test.cc", "_for_test.h", "_test_util.h"))


def check(modules, root):
    problems = []
    by_folder = {pathlib.PurePath(m["dir"]).name: name for name, m in modules.items()}
    for name, m in sorted(modules.items()):
        if name not in LAYERS:
            problems.append(f"{name}: not in the LAYERS table of scripts/check-layers.py; give it a layer")
            continue
        for dep in m["deps"]:
            if LAYERS.get(dep, 99) >= LAYERS[name]:
                problems.append(f"{name}: depends on {dep}, which is not in a lower layer")
        used = set()
        for f in sorted((root / m["dir"]).rglob("*")):
            if f.suffix not in (".h", ".cc"):
                continue
            rel = f.relative_to(root)
            allowed = {name, *m["deps"]}
            if is_test(f):
                allowed |= {*m["test_deps"], TEST_SUPPORT}
            for inc in INCLUDE.findall(f.read_text(errors="replace")):
                if ".." in pathlib.PurePath(inc).parts:
                    problems.append(f'{rel}: #include "{inc}" climbs out of its folder; include by library path')
                    continue
                target = by_folder.get(inc.split("/")[0]) if "/" in inc else None
                if target is None:
                    continue  # a third-party header or a generated one
                if not is_test(f):
                    used.add(target)
                if target not in allowed:
                    how = "an upward include" if LAYERS.get(target, 99) >= LAYERS[name] else "not a declared dependency"
                    problems.append(f'{rel}: #include "{inc}": {name} may not include {target} ({how})')
        for dep in m["deps"]:
            if dep not in used:
                problems.append(f"{name}: declares {dep} but includes none of its headers; drop the dependency")
    return problems


def self_test(modules_file, root):
    """The check must reject an upward include and an undeclared one planted in a copy of the tree."""
    modules = read_modules(modules_file)
    plants = [
        ("src/common/error.h", '#include "workflow/workflow.h"', "an upward include"),
        ("src/report/summary.h", '#include "aws/http.h"', "not a declared dependency"),
    ]
    failures = 0
    for file, line, expected in plants:
        with tempfile.TemporaryDirectory() as tmp:
            copy = pathlib.Path(tmp)
            for m in modules.values():
                shutil.copytree(root / m["dir"], copy / m["dir"], dirs_exist_ok=True)
            target = copy / file
            target.write_text(target.read_text() + "\n" + line + "\n")
            run = subprocess.run([sys.executable, __file__, str(modules_file), str(copy)],
                                 capture_output=True, text=True)
            if run.returncode == 1 and file in run.stdout and expected in run.stdout:
                print(f"ok: planting {line} in {file} is rejected ({expected})")
            else:
                print(f"FAIL: planting {line} in {file} was not rejected as {expected}:\n{run.stdout}{run.stderr}")
                failures += 1
    return 1 if failures else 0


def main(argv):
    if argv and argv[0] == "--self-test":
        root = pathlib.Path(argv[2] if len(argv) > 2 else pathlib.Path(__file__).resolve().parent.parent)
        return self_test(pathlib.Path(argv[1]), root)
    if not argv:
        print(__doc__)
        return 2
    root = pathlib.Path(argv[1] if len(argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    problems = check(read_modules(argv[0]), root)
    for p in problems:
        print(p)
    if not problems:
        print(f"layers ok: {len(read_modules(argv[0]))} libraries")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
