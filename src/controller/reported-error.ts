// An error a reconcile has already reported in status (reason and message as written there),
// rethrown so the queue backs off when retrying can help and stops when it cannot.
export class ReportedError extends Error {
  override readonly name = "ReportedError";
  readonly reason: string;
  readonly retryable: boolean;
  constructor(reason: string, message: string, retryable: boolean) {
    super(message);
    this.reason = reason;
    this.retryable = retryable;
  }
}
