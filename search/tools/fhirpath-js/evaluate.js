// Evaluates search-parameter expressions with fhirpath.js (the HL7 FHIRPath engine for
// JavaScript, R4 model) for search/tests/fhirpath_differential.rs.
//
// Usage: node evaluate.js <node_modules folder>, fed tasks on stdin, one JSON line each:
// {"file", "params": [{"expression", "components": [...]}]}. Each task is answered on stdout
// as soon as it is read, in a line {"file", "results": [...]}, one result per param, in order:
//   {"items": [{"type": "FHIR.HumanName", "value": ...}], "components": [[[item...]...]...],
//    "lenient": true?}  or  {"error": "..."}
// `components[i][j]` holds the items of component j evaluated on main item i.
//
// Two things stand in for what a server has and a test must not use:
// - `resolve()` fetches; `fetch` is replaced by a server that has every resource it is asked
//   for, holding only its type and id (`Patient/1` resolves to {resourceType, id}), so that
//   fhirpath.js decides on its own which references resolve and to what type.
// - R4 writes `x as T` where x may repeat (`useContext.value as Quantity`); fhirpath.js then
//   raises "Expected singleton", as the FHIRPath spec says. Such an expression is evaluated a
//   second time with `ofType(T)`, what R5 wrote instead, and the result says `lenient`.
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');

const modules = process.argv[2];
const fhirpath = require(path.join(modules, 'fhirpath'));
const model = require(path.join(modules, 'fhirpath/fhir-context/r4'));

const SERVER = 'https://resolve.invalid/fhir';
const OPTIONS = { resolveInternalTypes: false, async: true, fhirServerUrl: SERVER };

function isResourceType(name) {
  return model.type2Parent[name] === 'DomainResource' || name === 'Bundle' ||
    name === 'Binary' || name === 'Parameters';
}

function fhirJson(body, status) {
  const headers = { 'Content-Type': 'application/fhir+json' };
  return new Response(JSON.stringify(body), { status, headers });
}

// A canonical search (`Type?url=...`) finds one resource; any other URL ending in
// `Type/id` (with or without `_history/v`) is that resource.
globalThis.fetch = async (url) => {
  const parsed = new URL(String(url));
  const segments = parsed.pathname.split('/').filter(Boolean);
  const type = segments[segments.length - 1];
  if (parsed.searchParams.has('url') && isResourceType(type)) {
    const resource = { resourceType: type, url: parsed.searchParams.get('url') };
    return fhirJson({ resourceType: 'Bundle', entry: [{ resource }] }, 200);
  }
  const history = segments[segments.length - 2] === '_history' ? 2 : 0;
  const [resourceType, id] = segments.slice(-2 - history, segments.length - history);
  if (resourceType && isResourceType(resourceType)) {
    return fhirJson({ resourceType, id }, 200);
  }
  return fhirJson({ resourceType: 'OperationOutcome' }, 404);
};

const compiled = new Map();

function compile(expression) {
  if (!compiled.has(expression)) {
    compiled.set(expression, fhirpath.compile(expression, model, OPTIONS));
  }
  return compiled.get(expression);
}

// `(x as T)` -> `(x).ofType(T)` and `.as(T)` -> `.ofType(T)`; null when nothing changed.
function withOfType(expression) {
  const rewritten = expression
    .replace(/\(([^()]+?) as ([A-Za-z.]+)\)/g, '(($1).ofType($2))')
    .replace(/\.as\(/g, '.ofType(');
  return rewritten === expression || / as /.test(rewritten) ? null : rewritten;
}

// A ResourceNode serializes as its data, an FP_DateTime as its text.
function describe(items) {
  const types = fhirpath.types(items);
  return items.map((item, i) => ({ type: types[i], value: item }));
}

async function run(expression, input, env) {
  return compile(expression)(input, env);
}

async function evaluateLenient(expression, input, env) {
  try {
    return { items: await run(expression, input, env) };
  } catch (error) {
    const retry = /Expected singleton on left side of 'as'/.test(String(error)) &&
      withOfType(expression);
    if (!retry) throw error;
    return { items: await run(retry, input, env), lenient: true };
  }
}

async function evaluateParam(resource, param) {
  const env = { resource };
  const main = await evaluateLenient(param.expression, resource, env);
  const result = { items: describe(main.items) };
  if (main.lenient) result.lenient = true;
  if (param.components && param.components.length > 0) {
    result.components = [];
    for (const item of main.items) {
      const parts = [];
      for (const component of param.components) {
        const found = await evaluateLenient(component, item, env);
        if (found.lenient) result.lenient = true;
        parts.push(describe(found.items));
      }
      result.components.push(parts);
    }
  }
  return result;
}

async function evaluateLine(line) {
  const task = JSON.parse(line);
  // fhirpath.js leaves the resource as it is when results keep their internal types.
  const resource = JSON.parse(fs.readFileSync(task.file, 'utf8'));
  const results = [];
  for (const param of task.params) {
    try {
      results.push(await evaluateParam(resource, param));
    } catch (error) {
      results.push({ error: String(error && error.message || error) });
    }
  }
  return { file: task.file, results };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    process.stdout.write(JSON.stringify(await evaluateLine(line)) + '\n');
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});
