// Differential cases where Go's RE2 and JavaScript RegExp disagree: flags, \z, $-expansion,
// unsupported syntax, empty matches, Unicode classes.
import type { OracleCase } from "./gorender.ts";

export function regexCases(): OracleCase[] {
  const out: OracleCase[] = [];
  const add = (id: string, template: string, data: Record<string, string> = {}): void => {
    out.push({ id: `regex/${id}`, profile: "eso", template, data, stringData: true });
  };
  const q = (s: string): string => JSON.stringify(s);
  const T: [string, string][] = [
    ["case-flag", `{{ regexMatch "(?i)^hello$" "HeLLo" }}`],
    ["case-flag-group", `{{ regexFind "a(?i:b)c" "xaBcx" }} {{ regexFind "a(?i:b)c" "xABcx" }}`],
    ["multiline-flag", `{{ regexFindAll "(?m)^\\\\w+$" "one\\ntwo\\nthree" -1 | join "," }}`],
    ["dotall-flag", `{{ regexFind "(?s)a.b" "a\\nb" | len }} {{ regexFind "a.b" "a\\nb" | len }}`],
    ["ungreedy-flag", `{{ regexFind "(?U)a+" "aaa" }}`],
    ["backslash-z", `{{ regexMatch "abc\\\\z" "abc" }} {{ regexMatch "abc\\\\z" "abc\\n" }} {{ regexMatch "abc$" "abc\\n" }}`],
    ["backslash-A", `{{ regexFindAll "\\\\Aa" "aaa" -1 | len }}`],
    ["dollar-one", `{{ regexReplaceAll "(\\\\w+)@(\\\\w+)" "me@host you@there" "$2:$1" }}`],
    ["dollar-one-x", `[{{ regexReplaceAll "(a)" "abc" "$1x" }}]`],
    ["dollar-brace", `{{ regexReplaceAll "(a)" "abc" "\${1}x" }}`],
    ["dollar-named", `{{ regexReplaceAll "(?P<first>\\\\w+) (?P<last>\\\\w+)" "Ada Lovelace" "\${last}, \${first}" }}`],
    ["dollar-named-bare", `{{ regexReplaceAll "(?P<first>\\\\w+)" "Ada" "$first!" }}`],
    ["dollar-dollar", `{{ regexReplaceAll "a" "aXa" "$$" }}`],
    ["dollar-malformed", `{{ regexReplaceAll "a" "aXa" "\${" }}|{{ regexReplaceAll "a" "aXa" "$" }}|{{ regexReplaceAll "a" "aXa" "$-" }}`],
    ["dollar-missing-group", `[{{ regexReplaceAll "(a)" "abc" "$7" }}]`],
    ["dollar-unmatched-group", `[{{ regexReplaceAll "(a)|(b)" "ab" "<$2>" }}]`],
    ["dollar-ampersand", `{{ regexReplaceAll "b" "abc" "$&" }}`],
    ["literal-replacement", `{{ regexReplaceAllLiteral "(a)" "abc" "$1\${1}$$" }}`],
    ["empty-matches-replace", `{{ regexReplaceAll "x*" "abc" "-" }}`],
    ["empty-after-match", `{{ regexReplaceAll "a*" "baaac" "-" }}`],
    ["empty-matches-findall", `{{ regexFindAll "a*" "baaac" -1 | toJson }}`],
    ["findall-n", `{{ regexFindAll "\\\\d" "1a2b3c4" 2 | toJson }} {{ regexFindAll "\\\\d" "1a2b3c4" 0 | toJson }}`],
    ["leftmost-first", `{{ regexFind "a|ab" "ab" }} {{ regexFind "ab|a" "ab" }}`],
    ["unicode-class", `{{ regexFindAll "\\\\p{Greek}+" "abc αβγ def" -1 | join "," }}`],
    ["perl-class-ascii", `{{ regexFindAll "\\\\w+" "naïve café" -1 | join "," }}`],
    ["dot-astral", `{{ regexFind "^.$" "😀" }}|{{ regexFindAll "." "a😀b" -1 | len }}`],
    ["posix-class", `{{ regexFindAll "[[:digit:]]+" "a12b345" -1 | join "," }}`],
    ["quote-meta", `{{ regexQuoteMeta "a.b*c[d]" }}`],
    ["split", `{{ regexSplit "\\\\s*,\\\\s*" "a , b,c ,d" -1 | toJson }}`],
    ["split-n", `{{ regexSplit "," "a,b,c,d" 2 | toJson }} {{ regexSplit "," "a,b" 0 | toJson }}`],
    ["split-empty-re", `{{ regexSplit "" "abc" -1 | toJson }}`],
    ["split-empty-input", `{{ regexSplit "x" "" -1 | toJson }} {{ regexSplit "" "" -1 | toJson }}`],
    ["split-leading", `{{ regexSplit "a" "aba" -1 | toJson }}`],
    ["split-x-star", `{{ regexSplit "x*" "axbxxc" -1 | toJson }}`],
    ["lookahead-rejected", `{{ regexMatch "a(?=b)" "ab" }}`],
    ["lookahead-find-error", `{{ regexFind "a(?=b)" "ab" }}`],
    ["lookbehind-must", `{{ mustRegexMatch "(?<=a)b" "ab" }}`],
    ["backreference-rejected", `{{ mustRegexFind "(a)\\\\1" "aa" }}`],
    ["possessive-rejected", `{{ mustRegexFindAll "a++" "aa" -1 }}`],
    ["bad-escape", `{{ mustRegexReplaceAll "\\\\8" "x" "y" }}`],
    ["js-named-group-syntax", `{{ mustRegexReplaceAll "(?<n>a)" "a" "\${n}" }}`],
    ["repeat-limit", `{{ mustRegexMatch "a{1001}" "a" }}`],
    ["must-ok", `{{ mustRegexFind "b+" "abbbc" }} {{ mustRegexSplit "b" "abc" -1 | toJson }} {{ mustRegexReplaceAllLiteral "b" "abc" "$1" }}`],
    ["invalid-non-must-split", `{{ regexSplit "(" "abc" -1 }}`],
    ["octal-escape", `{{ regexMatch "\\\\141" "a" }}`],
    ["hex-escape", `{{ regexMatch "\\\\x{1F600}" "😀" }}`],
    ["class-subtraction-literal", `{{ regexMatch "[a-z&&[^b]]" "&" }}`],
    ["vertical-tab-space", `{{ regexMatch "^\\\\s$" "\\v" }}`],
    ["crlf-dollar-multiline", `{{ regexFindAll "(?m)\\\\w+$" "a\\r\\nb" -1 | toJson }}`],
  ];
  for (const [id, tpl] of T) add(id, tpl);
  add("data-pattern", `{{ regexReplaceAll .re .s .r }}`, { re: "(?i)SECRET-(\\d+)", s: "secret-12 and Secret-7", r: "<$1>" });
  void q;
  return out;
}
