// AWS credentials for a store's auth (static keys, service-account web identity, the SDK default
// chain) with STS role chaining. Shared by the Secrets Manager and Parameter Store clients; it needs
// only @aws-sdk/credential-providers, so neither service's SDK is loaded for it.
import { fromTemporaryCredentials, fromWebToken } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import type { AwsProviderSpec } from "../../api/secret-store.ts";
import { InvalidProviderConfig, type CredentialSource } from "../provider.ts";

export interface AwsCredentialsOptions {
  /** Endpoint override (ESO reads AWS_STS_ENDPOINT). */
  stsEndpoint?: string;
  /** Called each time credentials are actually obtained (an STS call for roles and web identity). */
  onCredentialFetch?: (kind: string) => void;
}

export interface AwsCredentialsInput {
  spec: AwsProviderSpec;
  credentials: CredentialSource;
  options: AwsCredentialsOptions;
}

/** ESO reads the role of a web-identity service account from this annotation (as EKS IRSA does). */
export const ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn";

/** Builds the SDK credential provider for the store's auth, with STS role chaining. */
export async function awsCredentials(input: AwsCredentialsInput): Promise<AwsCredentialIdentityProvider | undefined> {
  const { spec, credentials, options } = input;
  const sts = { region: spec.region, ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}) };
  const count = (kind: string, provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider => async (props) => {
    options.onCredentialFetch?.(kind);
    return await provider(props);
  };
  let base: AwsCredentialIdentityProvider | undefined;
  switch (spec.auth.kind) {
    case "secretRef": {
      const auth = spec.auth;
      const identity: AwsCredentialIdentity = {
        accessKeyId: (await credentials.secretValue(auth.accessKeyId)).trim(),
        secretAccessKey: (await credentials.secretValue(auth.secretAccessKey)).trim(),
        ...(auth.sessionToken ? { sessionToken: (await credentials.secretValue(auth.sessionToken)).trim() } : {}),
      };
      base = () => Promise.resolve(identity);
      break;
    }
    case "jwt": {
      const sa = spec.auth.serviceAccountRef;
      const ref = { name: sa.name, namespace: sa.namespace };
      const annotations = await credentials.serviceAccountAnnotations(ref);
      const roleArn = annotations[ROLE_ARN_ANNOTATION];
      if (!roleArn) throw new InvalidProviderConfig(`service account ${sa.name} has no ${ROLE_ARN_ANNOTATION} annotation: an IAM role must be associated with it`);
      const audiences = sa.audiences ?? ["sts.amazonaws.com"];
      // A fresh projected token for every credential refresh; the SDK memoises the result.
      base = count("AssumeRoleWithWebIdentity", async (props) => {
        const token = await credentials.serviceAccountToken({ ...ref, audiences, expirationSeconds: 3600 });
        return await fromWebToken({ roleArn, webIdentityToken: token, roleSessionName: "sealbridge", clientConfig: sts })(props);
      });
      break;
    }
    case "default":
      base = undefined; // the SDK's default chain (env, profile, IMDS, IRSA)
      break;
  }
  for (const role of [...(spec.role ? [spec.role] : []), ...spec.additionalRoles]) {
    const master = base;
    base = count("AssumeRole", fromTemporaryCredentials({
      params: { RoleArn: role, RoleSessionName: "sealbridge", ...(spec.externalId ? { ExternalId: spec.externalId } : {}) },
      ...(master ? { masterCredentials: master } : {}),
      clientConfig: sts,
    }));
  }
  return base;
}

