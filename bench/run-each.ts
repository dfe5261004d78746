// Runs each selected benchmark run in turn; a run that fails is reported and the others still run.
export async function runEach<K extends string, R>(kinds: readonly K[], runOne: (kind: K) => Promise<R>, log: (line: string) => void): Promise<{ results: R[]; failed: string[] }> {
  const results: R[] = [];
  const failed: string[] = [];
  for (const kind of kinds) {
    try {
      results.push(await runOne(kind));
    } catch (err) {
      failed.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
      log(`${kind} failed: ${failed.at(-1) ?? ""}`);
    }
  }
  return { results, failed };
}
