#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Line and branch coverage of module/ from a debug-kernel test run.

Usage: vm/coverage.py --build DIR --gcda FILE.tar.gz --out DIR [--kdir DIR]
                      [--lines-min PCT] [--drop NAME.gcda]...

--build is the module's build directory (a copy of Kbuild, module/, uapi/
built with REFSLAB_COVERAGE=1, holding the .gcno notes files); --gcda the
guest's gcov data (the .gcda files of /sys/kernel/debug/gcov, as a tar.gz,
sent by vm/guest-init.sh after the whole suite ran).  gcov (gcc's, of the
version that built the kernel: checked against CONFIG_GCC_VERSION of
--kdir) reads both.

Prints, for vm/run.sh to indent and count, one "# " line per file of
module/ (lines and branches executed, with the counts), then two checks:
  ok|not ok - line coverage of module/ ... >= LINES_MIN
  ok|not ok - every error-unwind label reached ...
An error-unwind label is a label at the start of a line in a .c file of
module/ (err_*, out*, fail*, unlock*, ... any name); it is reached when the
first line after it that gcov counts ran.  Writes to --out:
  uncovered.txt   every line that never ran, file:line: source, and the
                  labels never reached
  report.txt      the per-file table and, for each file, the whole source
                  annotated with counts and branches, gcov style
  summary.json    the figures
--lines-min overrides the threshold (the rig's self-test sets one above
the figure measured); --drop leaves a file's data out, as if no test had
reached it.  Exit status: 0 when both checks pass, 1 when one fails, 2 on
an error (no data, a gcov failure, a gcov of another version).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

# The threshold of line coverage of module/, in percent: the one place
# where it is kept (Documentation/refslab.rst explains what stays below
# 100).
LINES_MIN = 95.0

# Error-unwind labels no test reaches, each explained in the testing
# section of Documentation/refslab.rst: they do not fail the check (any
# other unreached label does).  (file, label).  None today: the init sweep
# and the registry's node failures reach the last five.
UNREACHED_LABELS = set()

LABEL_RE = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*):\s*(/\*.*\*/\s*)?$')


def fail(msg):
    print(f"vm/coverage.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def gcc_version_of(kdir):
    try:
        with open(os.path.join(kdir, ".config")) as f:
            for line in f:
                if line.startswith("CONFIG_GCC_VERSION="):
                    v = int(line.split("=", 1)[1])
                    return v // 10000, v // 100 % 100
    except OSError:
        pass
    return None


def gcov_version():
    out = subprocess.run(["gcov", "--version"], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"(\d+)\.(\d+)\.\d+", out.splitlines()[0])
    return (int(m.group(1)), int(m.group(2))) if m else None


def run_gcov(workdir, objs):
    """JSON intermediate format of gcov for each object; a list of files."""
    files = []
    for obj in objs:
        res = subprocess.run(
            ["gcov", "--branch-probabilities", "--json-format", "--stdout",
             "--object-directory", workdir, os.path.join(workdir, obj)],
            capture_output=True, cwd=workdir)
        if res.returncode != 0:
            fail(f"gcov {obj}: {res.stderr.decode(errors='replace')[:400]}")
        for chunk in res.stdout.decode().splitlines():
            chunk = chunk.strip()
            if chunk:
                data = json.loads(chunk)
                cwd = data.get("current_working_directory", workdir)
                for f in data["files"]:
                    f["path"] = os.path.normpath(os.path.join(cwd, f["file"]))
                    files.append(f)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--gcda", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kdir")
    ap.add_argument("--lines-min", type=float, default=LINES_MIN)
    ap.add_argument("--drop", action="append", default=[])
    args = ap.parse_args()

    moddir = os.path.realpath(os.path.join(args.build, "module"))
    if not os.path.isdir(moddir):
        fail(f"no module/ in {args.build}")
    want = gcc_version_of(args.kdir) if args.kdir else None
    have = gcov_version()
    if want and have != want:
        fail(f"gcov {have} does not match the kernel's gcc {want}")

    work = tempfile.mkdtemp(prefix="refslab-coverage-")
    try:
        # The .gcda files by name beside their .gcno files.
        objs = []
        try:
            with tarfile.open(args.gcda) as tar:
                for m in tar.getmembers():
                    name = os.path.basename(m.name)
                    if not m.isfile() or not name.endswith(".gcda"):
                        continue
                    if name in args.drop:
                        continue
                    notes = os.path.join(moddir, name[:-5] + ".gcno")
                    if not os.path.exists(notes):
                        fail(f"{name}: no {notes} (data of another build?)")
                    with open(os.path.join(work, name), "wb") as out:
                        out.write(tar.extractfile(m).read())
                    shutil.copy(notes, work)
                    objs.append(name[:-5] + ".o")
        except (OSError, tarfile.TarError) as e:
            fail(f"{args.gcda}: {e}")
        # An object of refslab.ko without data counts as never run.
        for notes in sorted(os.listdir(moddir)):
            if notes.endswith(".gcno") and notes[:-5] + ".o" not in objs:
                shutil.copy(os.path.join(moddir, notes), work)
                objs.append(notes[:-5] + ".o")
        if not objs:
            fail(f"no .gcno in {moddir}: not built with REFSLAB_COVERAGE=1?")
        files = run_gcov(work, sorted(objs))
    finally:
        shutil.rmtree(work)

    # Merge per source file of module/ (a header's inline functions
    # appear in every object that uses them): a line ran if it ran in
    # any; branches add up position by position.
    merged = {}
    for f in files:
        path = os.path.realpath(f["path"])
        if not path.startswith(moddir + os.sep):
            continue
        rel = "module/" + os.path.relpath(path, moddir)
        lines = merged.setdefault(rel, {"path": path, "lines": {}})["lines"]
        for ln in f["lines"]:
            cur = lines.setdefault(ln["line_number"],
                                   {"count": 0, "branches": []})
            cur["count"] += ln["count"]
            br = [b["count"] for b in ln["branches"]]
            if len(cur["branches"]) == len(br):
                cur["branches"] = [a + b for a, b in zip(cur["branches"], br)]
            elif not cur["branches"]:
                cur["branches"] = br
            else:
                cur["branches"] += br
    if not merged:
        fail("gcov reported no file of module/")

    os.makedirs(args.out, exist_ok=True)
    uncovered, annotated, table, labels_missed = [], [], [], []
    labels_explained = []
    tot_l = tot_lr = tot_b = tot_bt = nlabels = 0
    summary = {"files": {}, "lines_min": args.lines_min}
    for rel in sorted(merged):
        info = merged[rel]
        lines = info["lines"]
        with open(info["path"], errors="replace") as f:
            src = f.read().splitlines()
        n_l = len(lines)
        n_lr = sum(1 for v in lines.values() if v["count"] > 0)
        n_b = sum(len(v["branches"]) for v in lines.values())
        n_bt = sum(1 for v in lines.values() for c in v["branches"] if c > 0)
        tot_l, tot_lr, tot_b, tot_bt = (tot_l + n_l, tot_lr + n_lr,
                                        tot_b + n_b, tot_bt + n_bt)
        pl = 100.0 * n_lr / n_l if n_l else 100.0
        pb = 100.0 * n_bt / n_b if n_b else 100.0
        table.append(f"{rel:22} lines {pl:6.2f}% ({n_lr}/{n_l})  "
                     f"branches {pb:6.2f}% ({n_bt}/{n_b})")
        summary["files"][rel] = {"lines": n_l, "lines_run": n_lr,
                                 "branches": n_b, "branches_taken": n_bt}
        annotated.append(f"\n==== {rel}")
        for i, text in enumerate(src, 1):
            v = lines.get(i)
            mark = "-" if v is None else ("#####" if not v["count"]
                                          else str(v["count"]))
            annotated.append(f"{mark:>9}:{i:5}:{text}")
            if v is not None and v["branches"]:
                annotated.append(" " * 16 + "branches taken: " + " ".join(
                    str(c) for c in v["branches"]))
            if v is not None and not v["count"]:
                uncovered.append(f"{rel}:{i}: {text.strip()}")
        # Error-unwind labels of the .c files.
        if not rel.endswith(".c"):
            continue
        for i, text in enumerate(src, 1):
            m = LABEL_RE.match(text)
            if not m or m.group(1) == "default":
                continue
            nlabels += 1
            nxt = [ln for ln in sorted(lines) if ln > i]
            if not nxt or not lines[nxt[0]]["count"]:
                what = f"{rel}:{i}: label {m.group(1)} never reached"
                if (rel, m.group(1)) in UNREACHED_LABELS:
                    labels_explained.append(what)
                else:
                    labels_missed.append(what)

    pl = 100.0 * tot_lr / tot_l
    pb = 100.0 * tot_bt / tot_b if tot_b else 100.0
    table.append(f"{'total':22} lines {pl:6.2f}% ({tot_lr}/{tot_l})  "
                 f"branches {pb:6.2f}% ({tot_bt}/{tot_b})")
    summary.update(lines=tot_l, lines_run=tot_lr, branches=tot_b,
                   branches_taken=tot_bt, labels=nlabels,
                   labels_missed=labels_missed,
                   labels_explained=labels_explained)

    with open(os.path.join(args.out, "uncovered.txt"), "w") as f:
        f.write(f"# lines of module/ no test ran ({tot_l - tot_lr} of "
                f"{tot_l}), then labels never reached "
                f"({len(labels_missed) + len(labels_explained)} of "
                f"{nlabels})\n")
        f.write("".join(x + "\n" for x in uncovered + labels_missed))
        f.write("".join(x + " (explained)\n" for x in labels_explained))
    with open(os.path.join(args.out, "report.txt"), "w") as f:
        f.write("\n".join(table) + "\n" + "\n".join(annotated) + "\n")
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)

    print(f"# coverage of module/ by the whole suite (gcov {have[0]}.{have[1]}"
          f"{', dropped: ' + ' '.join(args.drop) if args.drop else ''}):")
    for row in table:
        print(f"#   {row}")
    print(f"# uncovered lines: {args.out}/uncovered.txt; "
          f"annotated sources: {args.out}/report.txt")
    rc = 0
    verdict = "ok" if pl >= args.lines_min else "not ok"
    rc |= verdict != "ok"
    print(f"{verdict} - line coverage of module/ {pl:.2f}% "
          f"({tot_lr}/{tot_l} lines) >= {args.lines_min:.2f}%")
    verdict = "ok" if not labels_missed else "not ok"
    rc |= verdict != "ok"
    reached = nlabels - len(labels_missed) - len(labels_explained)
    known = (f", {len(labels_explained)} known unreached and explained in "
             "Documentation/refslab.rst" if labels_explained else "")
    print(f"{verdict} - every error-unwind label reached "
          f"({reached}/{nlabels}{known})")
    for x in labels_missed[:20]:
        print(f"#   {x}")
    for x in labels_explained:
        print(f"#   {x} (explained)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
