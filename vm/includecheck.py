#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fail on an include cycle among the module's files.

Reads the '#include "..."' lines of every DIR/*.c and DIR/*.h; X.c and X.h
are one node X (a file and its header are one concern), and an edge X -> Y
means X includes Y.h.  Exits 1 and prints each cycle found, or a node of
BOTTOM that includes another of DIR's headers; prints the layering (every
node after all it includes) and exits 0 otherwise.

Usage: vm/includecheck.py DIR [--bottom NODE]...
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def graph(top):
    nodes = {}
    for name in sorted(os.listdir(top)):
        base, ext = os.path.splitext(name)
        if ext not in ('.c', '.h') or name.endswith('.mod.c'):
            continue
        nodes.setdefault(base, set())
    for name in sorted(os.listdir(top)):
        base, ext = os.path.splitext(name)
        if base not in nodes or ext not in ('.c', '.h'):
            continue
        with open(os.path.join(top, name), encoding='utf-8') as f:
            for inc in INCLUDE.findall(f.read()):
                dep = os.path.splitext(os.path.normpath(inc))[0]
                if '/' in dep or dep not in nodes:
                    continue        # not one of DIR's own files
                if dep != base:
                    nodes[base].add(dep)
    return nodes


def cycles(nodes):
    """Every cycle met by a depth-first walk, as a list of nodes."""
    found, state, path = [], {}, []

    def visit(n):
        state[n] = 'open'
        path.append(n)
        for m in sorted(nodes[n]):
            if state.get(m) == 'open':
                found.append(path[path.index(m):] + [m])
            elif m not in state:
                visit(m)
        path.pop()
        state[n] = 'done'

    for n in sorted(nodes):
        if n not in state:
            visit(n)
    return found


def layers(nodes):
    order, done = [], set()
    while len(done) < len(nodes):
        ready = sorted(n for n in nodes if n not in done and nodes[n] <= done)
        order.append(ready)
        done.update(ready)
    return order


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir')
    ap.add_argument('--bottom', action='append', default=[],
                    help='a node that may include none of the others')
    args = ap.parse_args()
    nodes = graph(args.dir)
    bad = False
    for b in args.bottom:
        if b not in nodes:
            print(f'{b}: no {b}.c or {b}.h in {args.dir}')
            bad = True
        elif nodes[b]:
            print(f'{b} is the lowest layer but includes: '
                  + ', '.join(f'{d}.h' for d in sorted(nodes[b])))
            bad = True
    for c in cycles(nodes):
        print('include cycle: ' + ' -> '.join(c))
        bad = True
    if bad:
        return 1
    for i, layer in enumerate(layers(nodes)):
        print(f'layer {i}: {" ".join(layer)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
