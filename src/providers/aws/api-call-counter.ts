// Counting the API calls an AWS SDK client sends (metrics, benchmarks and the tests that check
// batching): one middleware, shared by the Secrets Manager and Parameter Store ports. It sits at the
// finalizeRequest step, so every attempt is counted (a retried call counts twice), as AWS bills it.
import type { MiddlewareStack } from "@aws-sdk/types";

/** Called for every API call an SDK client sends: the operation (e.g. "GetSecretValue") and its input. */
export type ApiCallListener = (operation: string, input: unknown) => void;

export function countApiCalls<Input extends object, Output extends object>(stack: MiddlewareStack<Input, Output>, onApiCall: ApiCallListener): void {
  stack.add(
    (next, context) => (args) => {
      onApiCall(String(context.commandName ?? "unknown"), args.input);
      return next(args);
    },
    { step: "finalizeRequest", name: "sealbridgeApiCallCounter" },
  );
}
