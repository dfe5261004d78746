// Bounds on what one rendering may consume. Templates come from Git and provider data: a
// template must not be able to exhaust the controller.

export interface TemplateLimits {
  /** Maximum rendered output, in characters. */
  maxOutputBytes: number;
  /** Maximum total iterations over all {{range}} loops in one execution. */
  maxRangeIterations: number;
  /** Maximum nesting of {{template}} calls (Go allows 100000; JS stacks are smaller). */
  maxTemplateDepth: number;
  /** Maximum nesting of parenthesized pipelines. */
  maxExpressionDepth: number;
  /** Maximum template source length, in characters. */
  maxTemplateBytes: number;
  /** Maximum costly crypto operations (key generation, scrypt) in one execution. */
  maxCryptoOperations: number;
}

export const DEFAULT_LIMITS: TemplateLimits = {
  maxOutputBytes: 4 * 1024 * 1024,
  maxRangeIterations: 100_000,
  maxTemplateDepth: 1000,
  maxExpressionDepth: 1000,
  maxTemplateBytes: 1024 * 1024,
  maxCryptoOperations: 16,
};
