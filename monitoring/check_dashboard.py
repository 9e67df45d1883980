#!/usr/bin/env python3
"""Check that a Grafana dashboard only uses metric names that `shmring metrics` prints.

Usage: check_dashboard.py DASHBOARD.json METRICS.txt

DASHBOARD.json  a Grafana dashboard (plain, or the {"dashboard": {...}} API form)
METRICS.txt     Prometheus text-format output of `shmring metrics`

Every PromQL expression in the dashboard (every "expr" key, found by walking the
JSON recursively, plus the "query"/"definition" fields of template variables and
annotations) is tokenised; each identifier that starts with `shmring_` must be a
metric family name (a `# TYPE name ...` line) or a sample name in METRICS.txt.
The dashboard must also have at least one panel, and every panel (rows are only
containers and are not counted) must have at least one target with an expression.

Exit status: 0 when everything checks out ("N metric names checked in M panels"),
1 when the dashboard fails a check, 2 on a usage or input error.
Standard library only.
"""

import json
import re
import sys

IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
PREFIX = "shmring_"
# Fields, besides "expr", that hold PromQL outside panels (template variables,
# annotations). Inside panels only "expr" is used: a panel's "query" may be
# anything (e.g. a text panel's content).
EXTRA_QUERY_KEYS = ("query", "definition")


def strip_strings_and_comments(expr):
    """Blank out PromQL string literals ("..", '..', `..`) and # comments,
    so that label values and regexes are not mistaken for metric names."""
    out = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":
            j = i + 1
            while j < n and expr[j] != c:
                j += 2 if (expr[j] == "\\" and c != "`") else 1
            out.append(" ")
            i = j + 1
        elif c == "#":
            j = expr.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def metric_names_in(expr):
    """Identifiers starting with shmring_ in a PromQL expression. Grafana
    variable references ($name, ${name}, [[name]]) are skipped."""
    text = strip_strings_and_comments(expr)
    names = []
    for m in IDENT.finditer(text):
        tok = m.group(0)
        if not tok.startswith(PREFIX):
            continue
        before = text[: m.start()].rstrip()
        if before.endswith("$") or before.endswith("${") or before.endswith("[["):
            continue
        names.append(tok)
    return names


def load_known_names(path):
    known = set()
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                parts = line.split()
                if len(parts) >= 3 and parts[0] == "#" and parts[1] == "TYPE":
                    known.add(parts[2])
                continue
            if line.startswith("{"):
                # Newer exposition formats may quote the name inside the braces:
                # {"metric.name", label="v"} value
                m = re.match(r'\{\s*"((?:[^"\\]|\\.)*)"', line)
                if m:
                    known.add(m.group(1))
                continue
            m = re.match(r"[^{\s]+", line)
            if m:
                known.add(m.group(0))
    return known


class Walker:
    def __init__(self):
        self.uses = []          # (metric name, where)
        self.panels = 0
        self.problems = []      # structural problems

    def exprs(self, node, where, extra_keys):
        """Yield every PromQL string under node, recursively."""
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and (key == "expr" or key in extra_keys):
                    self.uses.extend((name, where) for name in metric_names_in(value))
                elif isinstance(value, (dict, list)):
                    if key == "panels":
                        self.panel_list(value)
                    else:
                        self.exprs(value, where, extra_keys)
        elif isinstance(node, list):
            for item in node:
                self.exprs(item, where, extra_keys)

    def panel_list(self, panels):
        if not isinstance(panels, list):
            return
        for i, panel in enumerate(panels):
            if not isinstance(panel, dict):
                continue
            title = panel.get("title") or "(untitled panel id %s)" % panel.get("id", i)
            where = "panel %r" % title
            if panel.get("type") == "row":
                # A row only groups panels; collapsed rows keep theirs inside.
                self.panel_list(panel.get("panels", []))
                continue
            self.panels += 1
            targets = panel.get("targets")
            if not isinstance(targets, list) or not targets:
                self.problems.append("%s has no targets" % where)
            else:
                for t in targets:
                    if not isinstance(t, dict) or not str(t.get("expr", "")).strip():
                        ref = t.get("refId", "?") if isinstance(t, dict) else "?"
                        self.problems.append("%s: target %s has no expr" % (where, ref))
            self.exprs(panel, where, ())

    def dashboard(self, dash):
        self.panel_list(dash.get("panels", []))
        for var in (dash.get("templating") or {}).get("list", []) or []:
            if isinstance(var, dict):
                self.exprs(var, "template variable %r" % var.get("name", "?"), EXTRA_QUERY_KEYS)
        for ann in (dash.get("annotations") or {}).get("list", []) or []:
            if isinstance(ann, dict):
                self.exprs(ann, "annotation %r" % ann.get("name", "?"), EXTRA_QUERY_KEYS)
        # Anything else that carries an "expr" (unknown layout, future fields).
        rest = {k: v for k, v in dash.items() if k not in ("panels", "templating", "annotations")}
        self.exprs(rest, "dashboard", ())


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print("usage: %s DASHBOARD.json METRICS.txt" % argv[0], file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            dash = json.load(f)
        known = load_known_names(argv[2])
    except (OSError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    if isinstance(dash, dict) and "panels" not in dash and isinstance(dash.get("dashboard"), dict):
        dash = dash["dashboard"]
    if not isinstance(dash, dict):
        print("error: %s is not a dashboard object" % argv[1], file=sys.stderr)
        return 2

    w = Walker()
    w.dashboard(dash)
    failed = False
    if w.panels == 0:
        print("FAIL: dashboard has no panels")
        failed = True
    for p in w.problems:
        print("FAIL: %s" % p)
        failed = True
    reported = set()
    for name, where in w.uses:
        if name not in known and (name, where) not in reported:
            reported.add((name, where))
            print("FAIL: unknown metric %s in %s" % (name, where))
            failed = True
    if failed:
        return 1
    print("%d metric names checked in %d panels" % (len({n for n, _ in w.uses}), w.panels))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
