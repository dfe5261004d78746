// The AWS provider's entry point: picks the service a store names (`service: SecretsManager` or
// `ParameterStore`) and loads only that service's SDK, on first use.
import type { AwsProviderSpec } from "../../api/secret-store.ts";
import type { CredentialSource, SecretsClient } from "../provider.ts";
import type { AwsClientOptions } from "./secrets-manager.ts";
import type { ParameterStoreClientOptions } from "./parameter-store.ts";

export type AwsStoreClientOptions = AwsClientOptions & ParameterStoreClientOptions;

export async function createAwsStoreClient(input: { spec: AwsProviderSpec; credentials: CredentialSource; options: AwsStoreClientOptions }): Promise<SecretsClient> {
  if (input.spec.service === "ParameterStore") {
    const { createParameterStoreClient } = await import("./parameter-store.ts");
    return await createParameterStoreClient(input);
  }
  const { createAwsClient } = await import("./secrets-manager.ts");
  return await createAwsClient(input);
}
