"""Turns the Kubernetes JSON schemas shipped in the kubernetes-validate wheel into the layout
kubeconform reads offline: one self-contained file per kind,

    <out>/v<version>-standalone[-strict]/<kind>[-<group>]-<apiversion>.json

(kubeconform's -schema-location template
`{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json`).

The wheel's kind files point into a shared _definitions.json by a path that kubeconform would
resolve against https://kubernetes.io/ and try to download. Each kind file gets the definitions
it reaches copied into its own `$defs`, with its references made local (`#/$defs/...`), so a
recursive definition stays a reference instead of an endless expansion.

    python3 k8s_schemas.py SOURCE VERSION OUT

SOURCE is the wheel (or a directory laid out like its kubernetes-json-schema folder, for
tests); VERSION is e.g. 1.37.0. Standard library only: it runs before any npm install.
"""

import json
import sys
import zipfile
from pathlib import Path

WHEEL_SCHEMA_DIR = "kubernetes_validate/kubernetes-json-schema"
SHARED_REF_PREFIX = "/api/_definitions.json#/$defs/"
LOCAL_REF_PREFIX = "#/$defs/"
# The wheel's folder name for each flavour, and the name kubeconform expects for it.
FLAVOURS = {"local": "standalone", "local-strict": "standalone-strict"}


class Source:
    """The schema files of one flavour, read from the wheel or from a directory."""

    def __init__(self, path: Path, folder: str):
        self.folder = folder
        if path.is_dir():
            self.root = path / folder
            self.zip = None
        else:
            self.zip = zipfile.ZipFile(path)
            self.root = None

    def names(self) -> list[str]:
        if self.root is not None:
            return sorted(p.name for p in self.root.glob("*.json"))
        prefix = f"{WHEEL_SCHEMA_DIR}/{self.folder}/"
        return sorted(n[len(prefix) :] for n in self.zip.namelist() if n.startswith(prefix) and n.endswith(".json"))

    def load(self, name: str) -> dict:
        if self.root is not None:
            return json.loads((self.root / name).read_text())
        return json.loads(self.zip.read(f"{WHEEL_SCHEMA_DIR}/{self.folder}/{name}"))


def localise(node, found: set[str]):
    """A copy of `node` with shared references made local; adds each definition named to `found`."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if value.startswith(SHARED_REF_PREFIX):
                    value = LOCAL_REF_PREFIX + value[len(SHARED_REF_PREFIX) :]
                if not value.startswith(LOCAL_REF_PREFIX):
                    raise ValueError(f"unexpected $ref {value}")
                found.add(value[len(LOCAL_REF_PREFIX) :])
                out[key] = value
            else:
                out[key] = localise(value, found)
        return out
    if isinstance(node, list):
        return [localise(item, found) for item in node]
    return node


def standalone(kind_schema: dict, definitions: dict) -> dict:
    """The kind's schema with every definition it reaches, directly or not, in its own $defs."""
    pending: set[str] = set()
    schema = localise(kind_schema, pending)
    schema.pop("$id", None)
    defs: dict = {}
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        if name not in definitions:
            raise ValueError(f"$ref to unknown definition {name}")
        reached: set[str] = set()
        defs[name] = localise(definitions[name], reached)
        pending |= reached - defs.keys()
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema


def file_name(gvk: dict) -> str:
    """kubeconform's {{.ResourceKind}}{{.KindSuffix}}: the group's first label, none for core."""
    group = gvk.get("group", "")
    suffix = f"-{group.split('.')[0]}" if group else ""
    return f"{gvk['kind'].lower()}{suffix}-{gvk['version']}.json"


def convert(source_path: Path, version: str, out: Path) -> int:
    written = 0
    for folder, flavour in FLAVOURS.items():
        source = Source(source_path, f"v{version}-{folder}")
        names = source.names()
        if "_definitions.json" not in names:
            raise SystemExit(f"{source_path} has no schemas for Kubernetes {version} ({folder})")
        definitions = source.load("_definitions.json")["$defs"]
        target = out / f"v{version}-{flavour}"
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            schema = source.load(name)
            kinds = schema.get("x-kubernetes-group-version-kind") if isinstance(schema, dict) else None
            # Only top-level kinds are looked up by kubeconform; the rest live on in $defs.
            if not kinds or name == "_definitions.json":
                continue
            document = json.dumps(standalone(schema, definitions), indent=1, sort_keys=False) + "\n"
            for gvk in kinds:
                (target / file_name(gvk)).write_text(document)
                written += 1
    return written


def main(argv: list[str]) -> None:
    if len(argv) != 4:
        raise SystemExit(f"usage: {argv[0]} SOURCE VERSION OUT")
    count = convert(Path(argv[1]), argv[2], Path(argv[3]))
    print(f"{count} schema files for Kubernetes {argv[2]} in {argv[3]}")


if __name__ == "__main__":
    main(sys.argv)
