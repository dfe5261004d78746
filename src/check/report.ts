// check's outputs: for people (path:line: severity rule: message), JSON (a stable schema, version 1),
// GitHub workflow commands (::error file=…,line=…::message) and JUnit XML for CI test reports.
import type { CheckResult } from "./check.ts";
import type { Finding } from "./finding.ts";

export type OutputFormat = "human" | "json" | "github" | "junit";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["human", "json", "github", "junit"];

function counts(findings: readonly Finding[]): { errors: number; warnings: number; notices: number } {
  return {
    errors: findings.filter((f) => f.severity === "error").length,
    warnings: findings.filter((f) => f.severity === "warning").length,
    notices: findings.filter((f) => f.severity === "notice").length,
  };
}

function where(f: Finding): string {
  return f.line > 0 ? `${f.file}:${f.line}` : f.file;
}

export function formatHuman(result: CheckResult): string {
  const lines = result.findings.map((f) => `${where(f)}: ${f.severity} ${f.rule}: ${f.object !== undefined ? `${f.object}: ` : ""}${f.message}`);
  const c = counts(result.findings);
  const s = result.summary;
  const objects = Object.values(s.objects).reduce((a, b) => a + (b ?? 0), 0);
  const rendered = s.overlays > 0 ? `, ${s.overlays} overlay(s) rendered with ${s.renderers.join(" and ")}` : "";
  lines.push(`${c.errors} error(s), ${c.warnings} warning(s), ${c.notices} notice(s): ${s.files} file(s), ${objects} object(s) checked${rendered}, ${s.online ? "online" : "offline"}`);
  return lines.join("\n") + "\n";
}

export function formatJson(result: CheckResult): string {
  const c = counts(result.findings);
  const findings = result.findings.map((f) => ({ rule: f.rule, severity: f.severity, file: f.file, line: f.line, ...(f.object !== undefined ? { object: f.object } : {}), message: f.message }));
  return JSON.stringify({ version: 1, summary: { ...result.summary, ...c }, findings }, null, 2) + "\n";
}

/** GitHub's escaping: data escapes %, CR, LF; properties also ":" and ",". */
function ghData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

function ghProperty(text: string): string {
  return ghData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

export function formatGithub(result: CheckResult): string {
  const lines = result.findings.map((f) => {
    const props = [`file=${ghProperty(f.file)}`, ...(f.line > 0 ? [`line=${f.line}`] : []), `title=${ghProperty(`sealbridge check: ${f.rule}`)}`];
    return `::${f.severity} ${props.join(",")}::${ghData(`${f.object !== undefined ? `${f.object}: ` : ""}${f.message}`)}`;
  });
  const c = counts(result.findings);
  lines.push(`sealbridge check: ${c.errors} error(s), ${c.warnings} warning(s), ${c.notices} notice(s) in ${result.summary.files} file(s)`);
  return lines.join("\n") + "\n";
}

function xml(text: string): string {
  // Characters XML 1.0 cannot hold at all are dropped.
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "").replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** One test case per file with findings (errors and warnings fail it; notices go to system-out), plus one for the clean rest. */
export function formatJunit(result: CheckResult): string {
  const byFile = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const list = byFile.get(f.file) ?? [];
    list.push(f);
    byFile.set(f.file, list);
  }
  const cases: string[] = [];
  let failures = 0;
  for (const [file, list] of byFile) {
    const failing = list.filter((f) => f.severity !== "notice");
    const notices = list.filter((f) => f.severity === "notice");
    const body: string[] = [];
    for (const f of failing) {
      failures++;
      body.push(`      <failure type="${xml(f.rule)}" message="${xml(`${where(f)}: ${f.message}`)}">${xml(`${where(f)}: ${f.severity} ${f.rule}: ${f.object !== undefined ? `${f.object}: ` : ""}${f.message}`)}</failure>`);
    }
    if (notices.length > 0) body.push(`      <system-out>${xml(notices.map((f) => `${where(f)}: notice ${f.rule}: ${f.message}`).join("\n"))}</system-out>`);
    cases.push(`    <testcase classname="sealbridge.check" name="${xml(file)}">\n${body.join("\n")}\n    </testcase>`);
  }
  const clean = Math.max(0, result.summary.files - byFile.size);
  cases.push(`    <testcase classname="sealbridge.check" name="${clean} file(s) without findings"/>`);
  const tests = cases.length;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="sealbridge check" tests="${tests}" failures="${failures}">`,
    `  <testsuite name="sealbridge check" tests="${tests}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}

export function formatReport(result: CheckResult, format: OutputFormat): string {
  switch (format) {
    case "human":
      return formatHuman(result);
    case "json":
      return formatJson(result);
    case "github":
      return formatGithub(result);
    case "junit":
      return formatJunit(result);
  }
}
