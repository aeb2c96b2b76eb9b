"""Generate search/params/r4.json from the official FHIR R4 definitions.

Run from the workspace root (Python 3.11, standard library only):

    python3 search/params/generate.py \
        --bundle /work/shared/data/fhir-r4/search-parameters.json \
        --package /tmp/npmprobe/package \
        --out search/params/r4.json

--bundle is the SearchParameter Bundle of R4 (CC0). --package is the unpacked npm package
hl7.fhir.r4.examples@4.0.1 (`npm pack hl7.fhir.r4.examples@4.0.1`), read for its
StructureDefinition-*.json (the element model), ValueSet-*.json (implicit code systems) and
CompartmentDefinition-*.json (which parameters put a resource in a patient's, encounter's...
compartment).
The output is deterministic: the same inputs give byte-identical output.
"""

import argparse
import glob
import json
import os
import re

# Modifiers R4 allows per parameter type (search.html, "Modifiers"). "type" stands for the
# `:[type]` modifier of references (`subject:Patient`).
MODIFIERS = {
    "string": ["missing", "exact", "contains"],
    "token": ["missing", "text", "not", "above", "below", "in", "not-in", "of-type"],
    "reference": ["missing", "type", "identifier", "above", "below"],
    "date": ["missing"],
    "number": ["missing"],
    "quantity": ["missing"],
    "uri": ["missing", "above", "below"],
    "composite": ["missing"],
    "special": ["missing"],
}

# Profiles on Quantity that R4 defines by constraint yet that FHIRPath treats as types.
CONSTRAINED_TYPES = {"SimpleQuantity", "MoneyQuantity"}

# Known errors in the R4 definitions, corrected as later versions did: R4 pairs the
# `relatesto` (reference) component with `code` and `relation` (token) with `target`.
COMPONENT_ERRATA = {
    "DocumentReference-relationship": [
        ["http://hl7.org/fhir/SearchParameter/DocumentReference-relatesto", "target"],
        ["http://hl7.org/fhir/SearchParameter/DocumentReference-relation", "code"],
    ],
}

FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def last_segment(url):
    return url.rsplit("/", 1)[-1] if url else None


def element_types(element):
    """Type codes of one element, mapping FHIRPath system types back to FHIR ones."""
    if "contentReference" in element:
        return [element["contentReference"].lstrip("#")]
    codes = []
    for t in element.get("type", []):
        code = t.get("code", "")
        for ext in t.get("extension", []):
            if ext.get("url") == FHIR_TYPE_EXT:
                code = ext.get("valueUrl") or ext.get("valueUri") or code
        if code.startswith("http://hl7.org/fhirpath/System."):
            code = "string"
        codes.append(code)
    return codes


def is_backbone(element, codes):
    return codes in (["BackboneElement"], ["Element"]) and "contentReference" not in element


def wanted(sd):
    if sd["kind"] not in ("resource", "complex-type", "primitive-type"):
        return False
    if sd.get("derivation") == "constraint":
        return sd["id"] in CONSTRAINED_TYPES
    return sd["id"] == sd["type"] or sd.get("derivation") is None


def value_set_systems(package):
    """Map value-set url -> its single code system, for sets drawn from exactly one system."""
    systems = {}
    for path in glob.glob(os.path.join(package, "ValueSet-*.json")):
        vs = load_json(path)
        compose = vs.get("compose", {})
        includes = compose.get("include", [])
        found = {inc.get("system") for inc in includes}
        nested = any(inc.get("valueSet") for inc in includes)
        if len(found) == 1 and None not in found and not nested:
            systems[vs["url"]] = found.pop()
    return systems


def add_elements(sd, types, bindings, vs_systems):
    """Record the children of every element of one definition, backbones named by path."""
    name = sd["id"]
    for element in sd["snapshot"]["element"]:
        path = element["path"]
        if "." not in path:
            continue
        parent, child = path.rsplit(".", 1)
        if parent.split(".")[0] != sd["type"]:
            continue
        parent = name + parent[len(sd["type"]):]
        codes = element_types(element)
        if is_backbone(element, codes):
            codes = [name + path[len(sd["type"]):]]
            types.setdefault(codes[0], {"base": codes_base(element), "elements": {}})
        owner = types.setdefault(parent, {"base": "BackboneElement", "elements": {}})
        owner["elements"][child] = " ".join(codes)
        binding = element.get("binding", {})
        if codes == ["code"] and binding.get("strength") == "required":
            system = vs_systems.get(binding.get("valueSet", "").split("|")[0])
            if system:
                bindings[parent + "." + child] = system


def codes_base(element):
    codes = [t.get("code") for t in element.get("type", [])]
    return codes[0] if codes else "BackboneElement"


def build_model(package):
    vs_systems = value_set_systems(package)
    types, bindings, resources = {}, {}, []
    for path in sorted(glob.glob(os.path.join(package, "StructureDefinition-*.json"))):
        sd = load_json(path)
        if not wanted(sd):
            continue
        entry = types.setdefault(sd["id"], {"elements": {}})
        entry["base"] = last_segment(sd.get("baseDefinition"))
        entry["kind"] = sd["kind"]
        if sd["kind"] == "resource" and not sd.get("abstract"):
            resources.append(sd["id"])
        if "snapshot" in sd:
            add_elements(sd, types, bindings, vs_systems)
    drop_inherited(types)
    return types, bindings, sorted(resources)


def inherited(types, name):
    """Element names a type gets from its ancestors, which readers find by walking `base`."""
    names, base = set(), types.get(name, {}).get("base")
    while base in types:
        names |= set(types[base]["elements"])
        base = types[base].get("base")
    return names


def drop_inherited(types):
    for name in sorted(types, key=lambda n: n.count(".")):
        entry = types[name]
        if entry.get("kind") == "primitive-type":
            entry["elements"] = {}
            continue
        own = inherited(types, name)
        entry["elements"] = {k: v for k, v in entry["elements"].items() if k not in own}


def split_union(expression):
    """Split a FHIRPath expression on its top-level `|` operators."""
    parts, depth, quote, start = [], 0, False, 0
    for i, ch in enumerate(expression):
        if ch == "'" and (i == 0 or expression[i - 1] != "\\"):
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and ch == "|":
            parts.append(expression[start:i].strip())
            start = i + 1
    parts.append(expression[start:].strip())
    return parts


def leading_type(branch):
    """The type a branch starts from: `Observation` in `(Observation.value as Quantity)` and
    in a bare `Observation`."""
    match = re.match(r"\(*\s*([A-Za-z]+)\s*(\.|\)|$)", branch)
    return match.group(1) if match else None


def expressions_per_base(param):
    """Each base gets only its own branches of the union, plus the Resource-level ones and
    those that start from no base, in the order the expression writes them (the order of a
    union's result)."""
    expression = param.get("expression")
    if expression is None:
        return {base: None for base in param["base"]}
    branches = split_union(expression)
    shared = ["Resource", "DomainResource"]
    out = {}
    for base in param["base"]:
        kept = [
            b
            for b in branches
            if leading_type(b) in [base] + shared or leading_type(b) not in param["base"] + shared
        ]
        out[base] = " | ".join(kept) if kept else None
    return out


def targets_field(targets, resources):
    """Write "every resource but a few" as the few, which keeps the file a third smaller."""
    if not targets:
        return {}
    missing = sorted(set(resources) - set(targets))
    if len(missing) < len(targets) and set(targets) <= set(resources):
        return {"targets_except": missing}
    return {"targets": sorted(targets)}


def build_params(bundle, resources):
    params = []
    for entry in bundle["entry"]:
        p = entry["resource"]
        item = {
            "code": p["code"],
            "id": p["id"],
            "type": p["type"],
            "bases": expressions_per_base(p),
        }
        item.update(targets_field(p.get("target", []), resources))
        if p.get("comparator"):
            item["comparators"] = p["comparator"]
        if p.get("component"):
            components = [[c["definition"], c["expression"]] for c in p["component"]]
            item["components"] = COMPONENT_ERRATA.get(p["id"], components)
        params.append(item)
    params.sort(key=lambda i: i["id"])
    return params


def build_compartments(package):
    """Per compartment type (Patient, Encounter...), the parameters of each resource type that
    put a resource in it; types with none are left out."""
    compartments = {}
    for path in sorted(glob.glob(os.path.join(package, "CompartmentDefinition-*.json"))):
        definition = load_json(path)
        members = {r["code"]: r["param"] for r in definition.get("resource", []) if r.get("param")}
        compartments[definition["code"]] = members
    return compartments


def write(out, types, bindings, resources, params, compartments):
    """One entry per line so that a regeneration reads well in a diff."""
    dumps = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    lines = ["{", '"resources":' + dumps(resources) + ",", '"modifiers":' + dumps(MODIFIERS) + ","]
    lines += ['"compartments":{']
    lines += [f"{dumps(k)}:{dumps(v)}," for k, v in sorted(compartments.items())]
    lines[-1] = lines[-1].rstrip(",")
    lines += ["},"]
    lines += ['"bindings":{']
    lines += [f"{dumps(k)}:{dumps(v)}," for k, v in sorted(bindings.items())]
    lines[-1] = lines[-1].rstrip(",")
    lines += ["},", '"types":{']
    lines += [f"{dumps(k)}:{dumps(v)}," for k, v in sorted(types.items())]
    lines[-1] = lines[-1].rstrip(",")
    lines += ["},", '"params":[']
    lines += [dumps(p) + "," for p in params]
    lines[-1] = lines[-1].rstrip(",")
    lines += ["]", "}"]
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default="/work/shared/data/fhir-r4/search-parameters.json")
    parser.add_argument("--package", default="/tmp/npmprobe/package")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "r4.json"))
    args = parser.parse_args()
    types, bindings, resources = build_model(args.package)
    params = build_params(load_json(args.bundle), resources)
    compartments = build_compartments(args.package)
    write(args.out, types, bindings, resources, params, compartments)
    print(f"{len(params)} parameters, {len(types)} types, {len(bindings)} bindings -> {args.out}")


if __name__ == "__main__":
    main()
