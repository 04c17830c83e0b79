#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Parse refslab's reStructuredText with Debian's docutils, as a gate.

Usage: vm/doccheck.py --kernel-doc <linux>/scripts/kernel-doc
                      [--map PREFIX=DIR ...] FILE.rst...

Each file is parsed with docutils at warning level: any warning or error
of the parser (a malformed table, a bad indentation, an unknown role or
directive, a broken reference) fails the check.  The Sphinx pieces the
kernel's documentation build adds are stood in for here:

- ``.. kernel-doc::`` runs the kernel's own ``scripts/kernel-doc -rst``
  with the directive's options and parses what it prints in place, so the
  ioctl reference pulled from the uapi header is checked as well.  Paths
  are those of a kernel tree (``include/uapi/linux/refslab.h``); ``--map``
  says where such a path lives in this repository.
- The C domain's directives (``c:struct``, ``c:function``, ...) parse
  their body; its roles (``:c:func:``, ``:c:type:``, ...) and ``:ref:``
  and ``:doc:`` become literals.

Prints one line per problem and exits 1 if there was any, else 0.
"""

import argparse
import subprocess
import sys

from docutils import nodes, utils
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles
from docutils.statemachine import StringList

KERNEL_DOC = None
PATH_MAP = []


def map_path(path):
    for prefix, target in PATH_MAP:
        if path.startswith(prefix):
            return target + path[len(prefix):]
    return path


class KernelDoc(Directive):
    """``.. kernel-doc:: FILE`` with :doc:, :internal:, :export:,
    :identifiers: or :functions:, expanded by scripts/kernel-doc."""

    required_arguments = 1
    optional_arguments = 0
    has_content = False
    option_spec = {
        "doc": directives.unchanged_required,
        "internal": directives.unchanged,
        "export": directives.unchanged,
        "identifiers": directives.unchanged,
        "functions": directives.unchanged,
    }

    def run(self):
        path = map_path(self.arguments[0])
        cmd = [KERNEL_DOC, "-rst", "-sphinx-version", "4.0"]
        if "doc" in self.options:
            cmd += ["-function", self.options["doc"]]
        elif "internal" in self.options:
            cmd += ["-internal"]
        elif "export" in self.options:
            cmd += ["-export"]
        for key in ("identifiers", "functions"):
            for name in (self.options.get(key) or "").split():
                cmd += ["-function", name]
        cmd.append(path)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or proc.stderr.strip():
            raise self.error("kernel-doc %s: %s" %
                             (path, (proc.stderr.strip() or
                                     "exit status %d" % proc.returncode)))
        text = proc.stdout.splitlines()
        if not any(line.strip() for line in text):
            raise self.error("kernel-doc %s: nothing for %s" %
                             (path, self.options))
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(text, source=path),
                                self.content_offset, node)
        return node.children


class CDomain(Directive):
    """A Sphinx C-domain directive: its argument is a declaration, its
    body ordinary reStructuredText."""

    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self):
        node = nodes.container()
        if self.arguments:
            node += nodes.literal_block(self.arguments[0], self.arguments[0])
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def literal_role(name, rawtext, text, lineno, inliner, options=None,
                 content=None):
    return [nodes.literal(rawtext, utils.unescape(text))], []


def setup():
    directives.register_directive("kernel-doc", KernelDoc)
    for name in ("struct", "union", "enum", "enumerator", "function",
                 "macro", "member", "type", "var", "namespace",
                 "namespace-push", "namespace-pop"):
        directives.register_directive("c:" + name, CDomain)
    for name in ("func", "type", "macro", "member", "struct", "union",
                 "enum", "data", "expr"):
        roles.register_local_role("c:" + name, literal_role)
    for name in ("ref", "doc"):
        roles.register_local_role(name, literal_role)


def check(path):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    problems = []

    class Collect:
        def write(self, text):
            if text.strip():
                problems.append(text.strip())

    publish_doctree(source, source_path=path, settings_overrides={
        "report_level": 2,   # warnings and up
        "halt_level": 5,     # never stop: report everything
        "warning_stream": Collect(),
        "file_insertion_enabled": False,
        "raw_enabled": False,
    })
    return problems


def main():
    global KERNEL_DOC
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel-doc", required=True,
                    help="path of the kernel's scripts/kernel-doc")
    ap.add_argument("--map", action="append", default=[],
                    metavar="PREFIX=DIR",
                    help="read kernel-tree paths starting with PREFIX from DIR")
    ap.add_argument("files", nargs="+", metavar="FILE.rst")
    args = ap.parse_args()
    KERNEL_DOC = args.kernel_doc
    for m in args.map:
        prefix, sep, target = m.partition("=")
        if not sep:
            ap.error("--map wants PREFIX=DIR, got %r" % m)
        PATH_MAP.append((prefix, target))
    setup()
    bad = 0
    for path in args.files:
        for problem in check(path):
            print(problem)
            bad += 1
    print("%d file(s), %d problem(s)" % (len(args.files), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
