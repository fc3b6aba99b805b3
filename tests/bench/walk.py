#!/usr/bin/env python3
"""The walk through the code of one setup, drawn from a run, not from reading.

Runs `aad-setup demo --no-faults` (the whole setup against the built-in
emulator) under valgrind's callgrind, then reads every call the run made
between two functions of the product (files under `src/`, the emulator and
crate roots aside) and reports:

- calls between rooms: calls whose caller and callee are in different files;
- climbs back up: calls from a room to one in a higher layer (the layers of
  `src/architecture/mod.rs`, top first; within one module a file's own
  `mod.rs` counts as above it), i.e. code that reaches back up the
  structure instead of down;
- the engine functions the commands enter (`src/engine/`, or before it
  existed `src/commands/setup/`): an async fn and the polls of its future
  count as one;
- the rooms entered most often.

Counts are of calls, as callgrind counts them (a future polled twice is two
calls), so compare figures of this script with each other, not with other
measures. Usage: python3 tests/bench/walk.py [path/to/aad-setup]
(default target/debug/aad-setup; build it first with `cargo build`).
"""
import collections
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "src") + os.sep


def layers():
    text = open(os.path.join(SRC, "architecture", "mod.rs")).read()
    block = text[text.index("const LAYERS"):]
    block = block[: block.index("];\n")]
    order = {}
    for i, line in enumerate(re.findall(r"&\[([^\]]*)\]", block.split("=", 1)[1])):
        for name in re.findall(r'"([a-z_]+)"', line):
            order[name] = i
    return order


def room(path):
    """The product file a path names, relative to src/, or None."""
    if not path.startswith(SRC):
        return None
    rel = path[len(SRC):]
    top = rel.split(os.sep)[0].removesuffix(".rs")
    if top in ("emulator", "lib", "main", "architecture"):
        return None
    return rel


def calls(out):
    """(caller file, callee file, count) for every recorded call."""
    files, fn_file, names = {}, {}, {}
    edges = collections.Counter()
    cur_fl = cur_fn = callee = None

    def ref(table, value):
        m = re.match(r"\((\d+)\)(?: (.*))?", value)
        if not m:
            return value
        key, name = m.group(1), m.group(2)
        if name is not None:
            table[key] = name
        return table.get(key)

    for line in open(out, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("fl="):
            cur_fl = ref(files, line[3:])
        elif line.startswith(("fi=", "fe=")):
            ref(files, line[3:])
        elif line.startswith("fn="):
            m = re.match(r"\((\d+)\)", line[3:])
            ref(names, line[3:])
            cur_fn = m.group(1) if m else line[3:]
            fn_file.setdefault(cur_fn, cur_fl)
        elif line.startswith(("cfi=", "cfl=")):
            ref(files, line[4:])
        elif line.startswith("cfn="):
            ref(names, line[4:])
            m = re.match(r"\((\d+)\)", line[4:])
            callee = m.group(1) if m else line[4:]
        elif line.startswith("calls="):
            n = int(line[6:].split()[0])
            edges[(cur_fn, callee)] += n
    for (a, b), n in edges.items():
        yield fn_file.get(a), fn_file.get(b), n, fn_name(names.get(a)), fn_name(names.get(b))


def fn_name(name):
    """The Rust function a symbol belongs to: an async fn's future and its
    polls (`::{{closure}}`) are the function itself."""
    name = name or "?"
    while name.endswith("::{{closure}}"):
        name = name[: -len("::{{closure}}")]
    return name


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/debug/aad-setup")
    order = layers()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        env = dict(os.environ, AAD_SETUP_STATE_DIR=os.path.join(tmp, "state"))
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "demo", "--no-faults"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp,
        )
        engine = "engine" + os.sep if os.path.isdir(os.path.join(SRC, "engine")) else os.path.join("commands", "setup") + os.sep

        def level(f):
            top = f.split(os.sep)[0].removesuffix(".rs")
            return order.get(top, len(order))

        between = climbs = 0
        entered = collections.Counter()
        climbs_by = collections.Counter()
        climb_edges = set()
        entry_fns = set()
        for a, b, n, fa, fb in calls(out):
            a, b = room(a or ""), room(b or "")
            if not a or not b or a == b:
                continue
            between += n
            entered[b] += n
            up = level(b) < level(a)
            if level(a) == level(b) and a.split(os.sep)[0] == b.split(os.sep)[0]:
                # Within one module: a call to a file's own parent mod.rs climbs.
                parent = os.path.join(os.path.dirname(a), "mod.rs")
                up = b == parent and a != parent
            if up:
                climbs += n
                climbs_by[(a, b)] += n
                climb_edges.add((fa, fb))
            if b.startswith(engine) and a.startswith("commands" + os.sep) and not a.startswith(engine):
                entry_fns.add(fb)
    print(f"calls between rooms: {between}")
    print(f"climbs back up: {climbs} calls over {len(climb_edges)} caller-callee pairs")
    for (a, b), n in climbs_by.most_common(10):
        print(f"  {n:5}  {a} -> {b}")
    print(f"engine functions the commands enter ({engine}): {len(entry_fns)}")
    for f in sorted(entry_fns):
        print(f"         {f}")
    print("rooms entered most often:")
    for f, n in entered.most_common(8):
        print(f"  {n:5}  {f}")


if __name__ == "__main__":
    main()
