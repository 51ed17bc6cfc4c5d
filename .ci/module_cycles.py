#!/usr/bin/env python3
"""Fails when a module of a crate imports, directly or through other modules, a module that imports it back.

Dependencies between the modules of one crate should point one way, so each module can be read, tested and
changed knowing only what lies below it. The compiler accepts cycles, so this script looks for them.

A node is one source file (a module in its own file; inline modules such as `mod tests { … }` count as part of
their file). An edge A -> B means code in A names an item defined in B:

* every path of a `use` declaration, and every `crate::…`, `super::…` and `self::…` path in code;
* a path whose first segment is a child module of the current module or a name the module imported
  (`token::classic`, `faults::apply` after `use crate::faults`);
* re-exports are followed to where the item is defined: `use crate::Client` is an edge to the module that defines
  `Client`, not to the crate root that re-exports it.

Declaring a submodule (`mod x;`) is not an edge; comments, doc comments and string literals are ignored. The
parser is lexical, not the compiler's name resolution: macros that build paths are not expanded, and a name it
cannot place is taken to belong to the module that was reached.

Usage: module_cycles.py [CRATE_DIR ...]   (default: every crates/*/ with a src/lib.rs, src/main.rs or src/bin/)
Exit status 1 when a cycle is found; each cycle is printed with the file and line of every edge in it.
"""

import os
import re
import sys
from collections import defaultdict

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
KEYWORD_ROOTS = {"crate", "self", "super"}


def blank_comments_and_strings(src):
    """The source with comments and the contents of string / char literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(src)

    def blank(text):
        return "".join("\n" if c == "\n" else " " for c in text)

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(src[i:j]))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(src[i:j]))
            i = j
        elif re.match(r'(b|c)?r#*"', src[i:i + 260]) and (i == 0 or not re.match(r"\w", src[i - 1])):
            m = re.match(r'(b|c)?r(#*)"', src[i:])
            end = '"' + m.group(2)
            j = src.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(blank(src[i:j]))
            i = j
        elif c == '"' or (c in "bc" and src.startswith('"', i + 1) and (i == 0 or not re.match(r"\w", src[i - 1]))):
            j = i + (1 if c == '"' else 2)
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(blank(src[i:j + 1]))
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F600}', b'x' handled by the b prefix falling through) or a lifetime.
            m = re.match(r"'(\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'])'", src[i:i + 16])
            if m:
                out.append(blank(m.group(0)))
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_top(text, sep=","):
    """Splits on `sep` outside braces."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def expand_use_tree(tree, prefix=()):
    """Yields (segments, bound name, or None for a glob) for every leaf of a whitespace-free use tree in which
    `X as Y` was written `X@Y`."""
    if tree.startswith("::"):
        tree = tree[2:]
    if tree.startswith("{"):
        for part in split_top(tree[1:-1]):
            yield from expand_use_tree(part, prefix)
        return
    m = re.match(r"((?:" + IDENT + r"::)+)\{(.*)\}$", tree)
    if m:
        head = tuple(s for s in m.group(1).split("::") if s)
        for part in split_top(m.group(2)):
            yield from expand_use_tree(part, prefix + head)
        return
    if tree.endswith("*"):
        yield prefix + tuple(s for s in tree[:-1].split("::") if s), None
        return
    alias = None
    if "@" in tree:
        tree, alias = tree.split("@", 1)
    segs = prefix + tuple(s for s in tree.split("::") if s)
    if not segs:
        return
    if alias is None:
        alias = segs[-2] if segs[-1] == "self" and len(segs) > 1 else segs[-1]
    yield segs, alias


def parse_use_items(code):
    """Yields (line, tree text, (start, end)) for every `use` declaration of already-blanked code."""
    for m in re.finditer(r"(?<![\w:])((?:pub(?:\s*\([^)]*\))?\s+)?)use\s+([^;]*);", code):
        yield code.count("\n", 0, m.start()) + 1, m.group(2), (m.start(), m.end())


def use_leaves(tree):
    """Yields (segments, bound name or None for a glob) of a use tree, honouring `as` renames."""
    tree = re.sub(r"\s+as\s+(" + IDENT + r")", r"@\1", tree)
    yield from expand_use_tree(re.sub(r"\s+", "", tree))


class Module:
    def __init__(self, path, file, parent, inline=False):
        self.path = path  # tuple of names from the crate root
        self.file = file  # the file holding it
        self.parent = parent
        self.inline = inline
        self.children = {}
        self.uses = {}  # bound name -> segments
        self.globs = []  # segments of glob imports
        self.items = set()


class Crate:
    def __init__(self, name, root_file):
        self.name = name
        self.root_file = root_file
        self.modules = {}  # path tuple -> Module
        self.code = {}  # file -> blanked source
        self.raw = {}
        self.inline_spans = defaultdict(list)  # file -> [(start, end, Module)]
        self.root = self.load(root_file, (), None)

    def load(self, file, path, parent):
        mod = Module(path, file, parent)
        self.modules[path] = mod
        with open(file, encoding="utf-8") as f:
            raw = f.read()
        code = blank_comments_and_strings(raw)
        self.raw[file], self.code[file] = raw, code
        self.scan(file, code, 0, len(code), mod)
        return mod

    def child_dir(self, file, mod):
        base, name = os.path.split(file)
        if mod.inline:
            # An inline module's file children live under the directory named after it.
            owner = mod
            names = []
            while owner.inline:
                names.append(owner.path[-1])
                owner = owner.parent
            return os.path.join(self.child_dir(owner.file, owner), *reversed(names))
        if name in ("mod.rs", "lib.rs", "main.rs") or file == self.root_file:
            return base
        return os.path.join(base, name[:-3])

    def scan(self, file, code, start, end, mod):
        """Finds module declarations, inline modules, items and use declarations in code[start:end]."""
        pos = start
        depth = 0
        # Walk top-level tokens of this module body (depth 0 relative to it).
        pattern = re.compile(
            r"(?P<open>\{)|(?P<close>\})|(?P<mod>\bmod\s+(?P<mname>" + IDENT + r")\s*(?P<mend>[;{]))"
            r"|(?P<item>\b(?:fn|struct|enum|union|trait|type|const|static|macro_rules!)\s+(?P<iname>" + IDENT + r"))"
        )
        while True:
            m = pattern.search(code, pos, end)
            if not m:
                break
            pos = m.end()
            if m.group("open"):
                depth += 1
            elif m.group("close"):
                depth -= 1
            elif m.group("mod") and depth != 0:
                depth += m.group("mend") == "{"
            elif m.group("mod"):
                name = m.group("mname")
                if m.group("mend") == ";":
                    d = self.child_dir(file, mod)
                    for cand in (os.path.join(d, name + ".rs"), os.path.join(d, name, "mod.rs")):
                        if os.path.exists(cand):
                            mod.children[name] = self.load(cand, mod.path + (name,), mod)
                            break
                    else:
                        print(f"warning: {file}: module file for `mod {name};` not found", file=sys.stderr)
                else:
                    close = self.matching_brace(code, m.end() - 1, end)
                    child = Module(mod.path + (name,), file, mod, inline=True)
                    self.modules[child.path] = child
                    mod.children[name] = child
                    self.inline_spans[file].append((m.end(), close, child))
                    self.scan(file, code, m.end(), close, child)
                    pos = close + 1
            elif m.group("item") and depth == 0:
                mod.items.add(m.group("iname"))
        for _line, tree, (s, _e) in parse_use_items(code[start:end]):
            # Only use declarations of this module body, not of nested inline modules or blocks' own scopes.
            abs_s = start + s
            if any(a <= abs_s < b for a, b, child in self.inline_spans[file] if child.parent is mod):
                continue
            for segs, bound in use_leaves(tree):
                if bound is None:
                    mod.globs.append(segs)
                elif bound != "_":
                    mod.uses[bound] = segs

    @staticmethod
    def matching_brace(code, open_pos, end):
        depth = 0
        for j in range(open_pos, end):
            if code[j] == "{":
                depth += 1
            elif code[j] == "}":
                depth -= 1
                if depth == 0:
                    return j
        return end

    def module_at(self, file, offset):
        """The innermost module whose body contains `offset` of `file`."""
        best = None
        for a, b, child in self.inline_spans[file]:
            if a <= offset < b and (best is None or a >= best[0]):
                best = (a, child)
        if best:
            return best[1]
        return next(m for m in self.modules.values() if m.file == file and not m.inline)

    def resolve(self, start, segs, seen=None):
        """The module where the item named by `segs` (seen from module `start`) is defined; None if external."""
        seen = set() if seen is None else seen
        key = (start.path, tuple(segs))
        if key in seen:
            return None  # a re-export loop: rustc rejects it, nothing to follow
        seen.add(key)
        try:
            return self.follow(start, segs, seen)
        finally:
            seen.discard(key)

    def follow(self, start, segs, seen):
        cur = start
        segs = list(segs)
        first = True
        while segs:
            seg = segs.pop(0)
            if seg == "crate" and first:
                cur = self.root
            elif seg == "super":
                cur = cur.parent if cur.parent else cur
            elif seg == "self":
                pass
            elif seg in cur.children:
                cur = cur.children[seg]
            elif seg in cur.uses:
                target = cur.uses[seg]
                via = self.resolve(cur, target, seen)
                if via is None:
                    return None
                if self.names_module(cur, target, seen):
                    cur = via
                else:
                    return via
            elif seg in cur.items:
                return cur
            else:
                for g in cur.globs:
                    src = self.resolve(cur, tuple(g), seen)
                    if src is not None and (seg in src.children or seg in src.uses or seg in src.items):
                        return self.resolve(src, (seg, *segs), seen)
                if first and seg not in KEYWORD_ROOTS:
                    return None  # an extern crate, std, or a primitive
                return cur
            first = False
        return cur

    def names_module(self, start, segs, seen):
        """True when the path `segs` from `start` ends on a module (so the next segment is looked up in it)."""
        cur = start
        for i, seg in enumerate(segs):
            if seg == "crate" and i == 0:
                cur = self.root
            elif seg == "super":
                cur = cur.parent or cur
            elif seg == "self":
                continue
            elif seg in cur.children:
                cur = cur.children[seg]
            elif seg in cur.uses:
                rest = cur.uses[seg]
                if not self.names_module(cur, rest, seen):
                    return False
                nxt = self.resolve(cur, rest, set())
                if nxt is None:
                    return False
                cur = nxt
            else:
                return False
        return True

    def edges(self):
        """Yields (from file, to file, line, path text)."""
        for file, code in self.code.items():
            uses = list(parse_use_items(code))
            use_spans = [span for *_, span in uses]
            for line, tree, (s, _e) in uses:
                mod = self.module_at(file, s)
                for segs, _bound in use_leaves(tree):
                    if segs[0] in KEYWORD_ROOTS or segs[0] in mod.children or segs[0] in mod.uses:
                        target = self.resolve(mod, segs)
                        if target is not None and target.file != file:
                            yield file, target.file, line, "use " + "::".join(segs)
            path_re = re.compile(r"(?<![\w:$])(" + IDENT + r")((?:\s*::\s*" + IDENT + r")+)")
            for m in path_re.finditer(code):
                if any(a <= m.start() < b for a, b in use_spans):
                    continue
                first = m.group(1)
                mod = self.module_at(file, m.start())
                if first not in KEYWORD_ROOTS and first not in mod.children and first not in mod.uses:
                    continue
                segs = (first,) + tuple(re.findall(IDENT, m.group(2)))
                target = self.resolve(mod, segs)
                if target is not None and target.file != file:
                    yield file, target.file, code.count("\n", 0, m.start()) + 1, "::".join(segs)


def strongly_connected(nodes, adj):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def crate_roots(crate_dir):
    src = os.path.join(crate_dir, "src")
    roots = [os.path.join(src, f) for f in ("lib.rs", "main.rs") if os.path.exists(os.path.join(src, f))]
    bins = os.path.join(src, "bin")
    if os.path.isdir(bins):
        for f in sorted(os.listdir(bins)):
            p = os.path.join(bins, f)
            roots.append(p if f.endswith(".rs") else os.path.join(p, "main.rs"))
    return [r for r in roots if os.path.exists(r)]


def check(root_file, label):
    crate = Crate(label, root_file)
    adj = defaultdict(set)
    where = defaultdict(list)
    for a, b, line, text in crate.edges():
        adj[a].add(b)
        where[(a, b)].append(f"{os.path.relpath(a)}:{line} {text}")
    nodes = sorted(crate.code)
    cycles = [sorted(c) for c in strongly_connected(nodes, adj) if len(c) > 1]
    for comp in cycles:
        members = set(comp)
        print(f"{label}: cycle among {len(comp)} modules:")
        for a in comp:
            for b in sorted(adj[a] & members):
                print(f"  {os.path.relpath(a)} -> {os.path.relpath(b)}")
                for w in where[(a, b)][:3]:
                    print(f"      {w}")
    return len(cycles)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    os.chdir(os.path.dirname(here))
    dirs = argv or sorted(
        os.path.join("crates", d) for d in os.listdir("crates") if os.path.isdir(os.path.join("crates", d))
    )
    found = 0
    for d in dirs:
        d = d.rstrip("/")
        for root in crate_roots(d):
            label = os.path.relpath(root)
            n = check(root, label)
            print(f"{label}: {'no module cycles' if n == 0 else f'{n} cycle(s)'}")
            found += n
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
