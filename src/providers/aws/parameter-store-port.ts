// The narrow subset of the SSM Parameter Store API the Parameter Store provider uses (like ESO's
// PMInterface), with vendor errors already translated into provider errors.
// parameter-store-sdk-port.ts implements it over @aws-sdk/client-ssm.

export interface Parameter {
  name: string;
  /** Decrypted (every read asks WithDecryption). */
  value: string;
  version?: number;
}

export type ParameterFilter = { key: string; option: "Equals" | "Recursive" | "OneLevel" | "BeginsWith"; values: string[] };

export interface PutParameterInput {
  name: string;
  value: string;
  type: "String" | "StringList" | "SecureString";
  overwrite: boolean;
  description?: string;
  keyId?: string;
  /** Only when creating (PutParameter refuses tags with Overwrite). */
  tags?: Record<string, string>;
}

export interface ParameterStorePort {
  /** One parameter, decrypted; `name` may carry a `:version` selector. Throws SecretNotFound. */
  getParameter(name: string): Promise<Parameter>;
  /** Up to 10 parameters in one call; names it does not know come back in `invalid`. */
  getParameters(names: readonly string[]): Promise<{ parameters: Parameter[]; invalid: string[] }>;
  /** One page of the parameters under a path, recursively, decrypted. */
  getParametersByPath(path: string, nextToken?: string): Promise<{ parameters: Parameter[]; nextToken?: string }>;
  /** One page of parameter names matching filters (tags, path); no values. */
  describeParameters(filters: readonly ParameterFilter[], nextToken?: string): Promise<{ names: string[]; nextToken?: string }>;
  listTags(name: string): Promise<Record<string, string>>;
  addTags(name: string, tags: Readonly<Record<string, string>>): Promise<void>;
  removeTags(name: string, keys: readonly string[]): Promise<void>;
  putParameter(input: PutParameterInput): Promise<void>;
  deleteParameter(name: string): Promise<void>;
  /** Resolves credentials (STS calls for roles / web identity happen here, cached by the SDK). */
  checkCredentials(): Promise<void>;
  close(): void;
}
