"""Generates domain/schema/r4.json, the structural schema the FHIR R4 validator embeds.

The source is the official R4 (4.0.1) definitions package, CC0. To regenerate:

    cd /tmp && npm pack hl7.fhir.r4.examples@4.0.1 && tar xzf hl7.fhir.r4.examples-4.0.1.tgz
    python3 domain/schema/generate.py /tmp/package domain/schema/r4.json

(run from the workspace root; Python 3.11, standard library only). The output is deterministic,
so regenerating from the same package gives the same bytes.

What is kept, and nothing more, because the validator and the `_summary`/`_elements` subsetting
only need this:
- per base type (StructureDefinitions of kind resource, complex-type or primitive-type that are
  specializations, plus the roots Element and Resource; profiles are left out): every element of
  its snapshot with its path relative to the type, min, max, type codes or contentReference,
  whether it is a summary element (`isSummary`, for `_summary=true`), and the index of its
  required binding when that binding can be expanded;
- per primitive type: the JSON type it is sent as and the regex of the spec for its value;
- per required value set: the codes by code system, for the includes that can be expanded from
  the package alone (whole complete CodeSystems or listed concepts). Includes with filters or
  with code systems outside the package (UCUM, MIME types, languages...) cannot be expanded:
  those systems are listed as unknown and the validator does not check their codes.
"""

import json
import os
import sys

FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
# The primitives whose JSON form is not a string; their specializations inherit it.
JSON_KINDS = {"boolean": "boolean", "integer": "integer", "decimal": "decimal"}
# Element paths that are XML attributes: in JSON they never get a `_name` companion.
ATTRIBUTE_PATHS = {"Element.id", "Extension.url"}


def load_package(folder):
    """Reads the StructureDefinitions, ValueSets and CodeSystems of the package."""
    sds, value_sets, code_systems = {}, {}, {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        prefix = name.split("-", 1)[0]
        if prefix not in ("StructureDefinition", "ValueSet", "CodeSystem"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            res = json.load(f)
        if res["resourceType"] == "StructureDefinition":
            sds[res["id"]] = res
        elif res["resourceType"] == "ValueSet":
            value_sets[res["url"]] = res
        elif res["resourceType"] == "CodeSystem":
            code_systems[res["url"]] = res
    return sds, value_sets, code_systems


def is_base_type(sd):
    """True for the types the JSON format can carry: base definitions, not profiles."""
    if sd["kind"] not in ("resource", "complex-type", "primitive-type"):
        return False
    return sd.get("derivation") == "specialization" or "baseDefinition" not in sd


def type_codes(element):
    """The FHIR type codes of an element, mapping FHIRPath system types to FHIR ones."""
    codes = []
    for t in element.get("type", []):
        code = t["code"]
        if code.startswith("http://hl7.org/fhirpath/System."):
            code = next(e["valueUrl"] for e in t["extension"] if e["url"] == FHIR_TYPE_EXT)
        if element.get("base", {}).get("path") == "Resource.id":
            # The 4.0.1 snapshots type Resource.id as System.String with fhir-type `string`,
            # but the specification defines it as `id` (and the JSON page requires that).
            code = "id"
        if code not in codes:
            codes.append(code)
    return codes


def json_kind(sds, name):
    """How a primitive is sent in JSON: follows the base chain up to boolean/integer/decimal."""
    while name in sds:
        if name in JSON_KINDS:
            return JSON_KINDS[name]
        base = sds[name].get("baseDefinition", "")
        name = base.removeprefix(SD_PREFIX)
    return "string"


def primitive_entry(sds, sd):
    """[json kind, regex or null] for a primitive type."""
    name = sd["id"]
    regex = None
    for element in sd["snapshot"]["element"]:
        if element["path"] != name + ".value":
            continue
        for t in element.get("type", []):
            for ext in t.get("extension", []):
                if ext["url"] == REGEX_EXT:
                    regex = ext["valueString"]
    return [json_kind(sds, name), regex]


class Bindings:
    """Expands required value sets once each, numbering the ones that can be checked."""

    def __init__(self, value_sets, code_systems):
        self.value_sets = value_sets
        self.code_systems = code_systems
        self.index = {}
        self.table = []
        self.cache = {}

    def index_of(self, url):
        """The table index of a value set, or None when none of its codes can be checked."""
        url = url.split("|", 1)[0]
        if url not in self.index:
            systems, unknown = self.expand(url, set())
            checkable = {s: sorted(c) for s, c in systems.items() if s not in unknown}
            if not checkable:
                self.index[url] = None
            else:
                self.index[url] = len(self.table)
                entry = {"url": url, "complete": not unknown, "systems": checkable}
                self.table.append(entry)
        return self.index[url]

    def expand(self, url, seen):
        """(codes by system, systems whose codes cannot be known); '*' stands for all of them."""
        if url in self.cache:
            return self.cache[url]
        vs = self.value_sets.get(url)
        if vs is None or url in seen or "compose" not in vs:
            return {}, {"*"}
        seen = seen | {url}
        systems, unknown = {}, set()
        for include in vs["compose"].get("include", []):
            self.expand_include(include, seen, systems, unknown)
        for exclude in vs["compose"].get("exclude", []):
            system = exclude.get("system", "*")
            if "concept" in exclude and "filter" not in exclude and "valueSet" not in exclude:
                drop = {c["code"] for c in exclude["concept"]}
                systems[system] = systems.get(system, set()) - drop
            else:
                unknown.add(system)
        self.cache[url] = (systems, unknown)
        return systems, unknown

    def expand_include(self, include, seen, systems, unknown):
        """Adds one compose.include to the expansion, or marks its system unknown."""
        system = include.get("system")
        if system is None:
            for imported in include.get("valueSet", []):
                sub_systems, sub_unknown = self.expand(imported.split("|", 1)[0], seen)
                for s, codes in sub_systems.items():
                    systems.setdefault(s, set()).update(codes)
                unknown.update(sub_unknown)
            return
        if "filter" in include or "valueSet" in include:
            unknown.add(system)
        elif "concept" in include:
            systems.setdefault(system, set()).update(c["code"] for c in include["concept"])
        else:
            cs = self.code_systems.get(system)
            if cs is None or cs.get("content") != "complete":
                unknown.add(system)
            else:
                systems.setdefault(system, set()).update(all_codes(cs.get("concept", [])))


def all_codes(concepts):
    """Every code of a CodeSystem's concept tree."""
    for concept in concepts:
        yield concept["code"]
        yield from all_codes(concept.get("concept", []))


def element_entry(element, paths, bindings):
    """The compact form of one snapshot element: {p, min, max, t | ref | backbone, b, attr, s}."""
    path = element["path"]
    entry = {"p": path.split(".", 1)[1], "min": element["min"], "max": element["max"]}
    if "contentReference" in element:
        entry["ref"] = element["contentReference"].lstrip("#").split(".", 1)[1]
    elif any(p.startswith(path + ".") for p in paths):
        entry["backbone"] = True
    else:
        entry["t"] = type_codes(element)
    if element.get("base", {}).get("path") in ATTRIBUTE_PATHS:
        entry["attr"] = True
    if element.get("isSummary", False):
        entry["s"] = True
    binding = element.get("binding", {})
    if binding.get("strength") == "required" and "valueSet" in binding:
        index = bindings.index_of(binding["valueSet"])
        if index is not None:
            entry["b"] = index
    return entry


def type_entry(sd, bindings):
    """The compact form of one complex type or resource."""
    elements = sd["snapshot"]["element"][1:]
    paths = [e["path"] for e in elements]
    for e in elements:
        if e["max"] not in ("1", "*"):
            raise SystemExit(f"unexpected max {e['max']} at {e['path']}")
    return {
        "kind": sd["kind"],
        "abstract": sd.get("abstract", False),
        "elements": [element_entry(e, paths, bindings) for e in elements],
    }


def generate(folder):
    """The whole schema as a JSON-ready dict."""
    sds, value_sets, code_systems = load_package(folder)
    bindings = Bindings(value_sets, code_systems)
    primitives, types = {}, {}
    for name in sorted(sds):
        sd = sds[name]
        if not is_base_type(sd):
            continue
        if sd["kind"] == "primitive-type":
            primitives[name] = primitive_entry(sds, sd)
        else:
            types[name] = type_entry(sd, bindings)
    with open(os.path.join(folder, "package.json"), encoding="utf-8") as f:
        package = json.load(f)
    source = f"{package['name']}@{package['version']} (HL7 FHIR R4, CC0)"
    return {
        "generated": "by domain/schema/generate.py; do not edit by hand",
        "source": source,
        "primitives": primitives,
        "types": types,
        "valueSets": bindings.table,
    }


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: generate.py PACKAGE_FOLDER OUTPUT_JSON")
    schema = generate(sys.argv[1])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(schema, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
