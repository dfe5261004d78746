/** Keeps the last N lines a process wrote, for error messages when it dies. */
export class LogTail {
  private readonly max: number;
  private readonly kept: string[] = [];
  private partial = "";

  constructor(max: number) {
    this.max = max;
  }

  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString("utf8");
    const parts = text.split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) {
      this.kept.push(line);
      if (this.kept.length > this.max) this.kept.shift();
    }
  }

  lines(): string[] {
    return this.partial ? [...this.kept, this.partial] : [...this.kept];
  }
}
