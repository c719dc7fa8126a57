#!/usr/bin/env bash
# Checks what the template ships for operations (npm run check:ops):
#   - the Prometheus alert rules parse, and their unit tests pass (promtool check/test rules);
#   - the Prometheus configuration is valid (promtool check config);
#   - the Grafana dashboard is JSON, and it and the alert rules only use metric names listed in
#     ops/metric-names.txt (a name typed wrong would give an empty panel or a silent alert).
# Installs nothing: it needs promtool on PATH (Debian/Ubuntu: apt-get install prometheus) and
# node with the project's dependencies installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo 'check-ops: promtool not found on PATH (Debian/Ubuntu: apt-get install -y prometheus)' >&2
  exit 2
fi

promtool check rules ops/prometheus/alerts.yml
promtool test rules ops/prometheus/alerts.test.yml
promtool check config ops/prometheus/prometheus.yml

node - <<'EOF'
const fs = require('node:fs');
const YAML = require('yaml');

const known = new Set(
  fs.readFileSync('ops/metric-names.txt', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')),
);
const isKnown = (name) => known.has(name) || known.has(name.replace(/_(bucket|sum|count)$/, ''));

// Metric names in a PromQL expression: what is left once strings, label matchers, grouping
// clauses, ranges, Grafana variables, function calls and keywords are taken out.
const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);
function metricNames(expr) {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\$\{[^}]*\}|\$\w+/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [];
  for (const [, name, call] of bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (!call && !KEYWORDS.has(name.toLowerCase())) names.push(name);
  }
  return names;
}

const problems = [];
const check = (where, expr) => {
  for (const name of metricNames(expr)) if (!isKnown(name)) problems.push(`${where}: unknown metric ${name}`);
};

let dashboard;
try {
  dashboard = JSON.parse(fs.readFileSync('ops/grafana/order-fulfillment.json', 'utf8'));
} catch (err) {
  console.error(`ops/grafana/order-fulfillment.json: ${err.message}`);
  process.exit(1);
}
let queries = 0;
(function walk(node, where) {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, where));
  if (!node || typeof node !== 'object') return;
  const here = typeof node.title === 'string' ? node.title : where;
  if (typeof node.expr === 'string') {
    queries++;
    check(`dashboard panel "${here}"`, node.expr);
  }
  for (const value of Object.values(node)) walk(value, here);
})(dashboard, 'dashboard');
if (queries === 0) problems.push('dashboard: no queries found');

const rules = YAML.parse(fs.readFileSync('ops/prometheus/alerts.yml', 'utf8'));
for (const group of rules.groups) for (const rule of group.rules) check(`alert ${rule.alert ?? rule.record}`, rule.expr);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`Dashboard: ${queries} queries, every metric name known (ops/metric-names.txt)`);
EOF
