// Differential cases for the places where Go's semantics are easy to miss in TypeScript: strings
// that are bytes (not UTF-8 text), byte offsets, fmt's verbs and rounding, rune-by-rune case
// mapping, integer conversion limits, Sprig's case helpers, number constants, fromYaml and the
// functions only ESO's sprig copy has. The id's first segment names the class
// (see agreement.ts for per-class figures).
import type { OracleCase } from "./gorender.ts";

type Row = readonly [id: string, template: string, data?: Record<string, unknown>];

// Strings that are not valid UTF-8, made with b64dec: \xff\xfe, a\xc3 (a rune cut short),
// \xed\xa0\x80 (an encoded surrogate), \xf4\x90\x80\x80 (beyond U+10FFFF), "héllo\xff wörld" with
// Latin-1 ö, "ab\x80cd", and "é\xff\x00\x01 z".
const BIN = `{{ $ff := b64dec "//4=" }}{{ $cut := b64dec "YcM=" }}{{ $sur := b64dec "7aCA" }}{{ $big := b64dec "9JCAgA==" }}{{ $mix := b64dec "aMOpbGxv/yB39nJsZA==" }}{{ $mid := b64dec "YWKAY2Q=" }}{{ $ctl := b64dec "w6n/AAEgeg==" }}`;

const bytes: Row[] = [
  ["printf-q", `${BIN}{{ printf "%q|%q|%q|%q|%q|%q" $ff $cut $sur $big $mix $ctl }}`],
  ["printf-q-flags", `${BIN}{{ printf "%+q|%#q|%#q|%.3q|%8q|%-8q|" $mix $mix $ff $mix $ff $ff }}`],
  ["printf-x", `${BIN}{{ printf "%x|%X|% x|%#x|%# X|%.2x|%8x|" $ff $mix $ff $mid $ff $mix $ff }}`],
  ["printf-s-width", `${BIN}{{ printf "[%5s][%-5s][%.2s][%.1s][%5.1s][%05s]" $ff $cut $mix $ff $mid $ff | b64enc }}`],
  ["printf-v-c", `${BIN}{{ printf "%v|%s|%d" $mid $mid $ff | b64enc }}`],
  ["quote", `${BIN}{{ quote $ff $cut $sur $big $mix $ctl }}`],
  ["squote-cat", `${BIN}{{ squote $ff $mix | b64enc }} {{ cat $ff $mid | b64enc }}`],
  ["trunc", `${BIN}{{ trunc 1 $mix | b64enc }} {{ trunc 6 $mix | b64enc }} {{ trunc -2 $ff | b64enc }} {{ trunc 1 $ff | b64enc }}`],
  ["substr", `${BIN}{{ substr 0 1 $ff | b64enc }} {{ substr 1 3 $mix | b64enc }} {{ substr 2 9 $mid | b64enc }}`],
  ["upper-lower", `${BIN}{{ upper $ff | b64enc }} {{ lower $mix | b64enc }} {{ upper $mid | b64enc }} {{ upper $cut | b64enc }} {{ lower $sur | b64enc }}`],
  ["title-swapcase", `${BIN}{{ title $mix | b64enc }} {{ untitle $mix | b64enc }} {{ swapcase $mix | b64enc }}`],
  ["replace", `${BIN}{{ replace "b" "X" $mid | b64enc }} {{ replace "" "-" $ff | b64enc }} {{ replace $ff "?" (print "a" $ff "b") | b64enc }}`],
  ["contains-prefix", `${BIN}{{ contains "\\xff" $ff }} {{ contains (b64dec "/w==") $mix }} {{ hasPrefix (b64dec "/w==") $ff }} {{ hasSuffix "cd" $mid }} {{ contains "é" $mix }}`],
  ["len-index-slice", `${BIN}{{ len $ff }} {{ len $mix }} {{ index $ff 0 }} {{ index $mix 6 }} {{ slice $mix 1 2 | b64enc }} {{ slice $ff 1 | b64enc }}`],
  ["trim-nospace", `${BIN}{{ trim (print " " $ff " ") | b64enc }} {{ nospace (print "a " $ff " b") | b64enc }} {{ trimAll "\\xff" $ff | b64enc }} {{ trimAll (b64dec "/w==") $ff | b64enc }}`],
  ["repeat-indent", `${BIN}{{ repeat 2 $ff | b64enc }} {{ indent 2 $ff | b64enc }} {{ nindent 1 $cut | b64enc }}`],
  ["split-join", `${BIN}{{ splitList "" $ff | len }} {{ splitList "" $mix | join "," | b64enc }} {{ split "b" $mid | toJson }} {{ splitList (b64dec "gA==") $mid | toJson }}`],
  ["initials-wrap-abbrev", `${BIN}{{ initials $mix | b64enc }} {{ wrap 3 $mix | b64enc }} {{ abbrev 5 $mix | b64enc }}`],
  ["case-helpers", `${BIN}{{ camelcase $mix | b64enc }} {{ snakecase $mix | b64enc }} {{ kebabcase $mix | b64enc }}`],
  ["json", `${BIN}{{ toJson $ff }} {{ toJson $mix }} {{ toRawJson (list $cut $sur) }} {{ toPrettyJson (dict "k" $big) }}`],
  ["escapers", `${BIN}{{ urlquery $ff }} {{ js $mix }} {{ html $ff | b64enc }} {{ print $ff 1 | b64enc }}`],
  ["regex", `${BIN}{{ regexMatch "^a.c" $mid }} {{ regexFind "b.c" $mid | b64enc }} {{ regexReplaceAll "." $ff "x" }} {{ regexReplaceAllLiteral "b" $mid "X" | b64enc }}`],
  ["hash-b64", `${BIN}{{ sha256sum $ff }} {{ adler32sum $ff }} {{ b64enc $ctl }} {{ b32enc $ff }} {{ sha1sum $mix }}`],
  ["range-runes", `${BIN}{{ range $i, $c := splitList "" $cut }}{{ $i }}={{ $c | b64enc }};{{ end }}`],
  ["eq-lt", `${BIN}{{ eq $ff (b64dec "//4=") }} {{ lt $ff $mid }} {{ lt (b64dec "/w==") "é" }} {{ lt "é" "\\U0001F600" }} {{ lt "\\uFFFD" "\\U0001F600" }}`],
  ["printf-format-bytes", `${BIN}{{ printf (print "%s" $ff "%d") "x" 1 | b64enc }}`],
  ["toString-strval", `${BIN}{{ toString $ff | b64enc }} {{ $ff | toStrings | toJson }} {{ typeOf $ff }}`],
  ["concat-forms-utf8", `{{ $a := b64dec "w6k=" | trunc 1 }}{{ $b := b64dec "w6k=" | trunc -1 }}{{ print $a $b }} {{ len (print $a $b) }} {{ upper (print $a $b) }} {{ printf "%q" (cat $a $b) }} {{ print $a $b | splitList "" | len }}`],
  ["valid-fffd", `{{ upper "\\uFFFD" }} {{ printf "%q %x" "\\uFFFD" "\\uFFFD" }} {{ trimAll "\\uFFFD" (print (b64dec "/w==") "x\\uFFFD") }} {{ contains "\\uFFFD" (b64dec "/w==") }}`],
  ["literal-escapes", `{{ printf "%q" "\\xff\\377\\x41" }} {{ len "\\xe2\\x82\\xac" }} {{ "\\xe2\\x82\\xac" }} {{ "\\xe2\\x82" | printf "%x" }} {{ eq "\\xc3\\xa9" "é" }}`],
  ["sort-compare", `{{ list "\\uFFFD" "😀" "z" (b64dec "/w==") "é" | sortAlpha | toJson }} {{ dict "😀" 1 "\\uFFFD" 2 "a" 3 | keys | sortAlpha | join "," }} {{ printf "%v" (dict "😀" 1 "\\uFFFD" 2) }}`],
  ["suffix-prefix", `${BIN}{{ trimSuffix (b64dec "ZA==") $mid | b64enc }} {{ trimPrefix (b64dec "YWI=") $mid | b64enc }} {{ trimSuffix (b64dec "gA==") (print "x" (b64dec "gA==")) }} {{ hasSuffix (b64dec "qQ==") "é" }} {{ trimPrefix (b64dec "ww==") "é" | b64enc }}`],
  ["printf-list-bytes", `${BIN}{{ printf "%s|%q|%x|%v" (list $ff) (list $ff "a") (list $ff) (list $mid) | b64enc }}`],
  ["sealed-profile", `${BIN}{{ upper $mix | b64enc }} {{ trunc 2 "héllo" | b64enc }} {{ printf "%q" $ff }} {{ .bin | b64enc }}`],
];

const offsets: Row[] = [
  ["trunc", `{{ trunc 2 "héllo" | b64enc }} {{ trunc 3 "héllo" }} {{ trunc -3 "héllo" }} {{ trunc -4 "héllo" | b64enc }} {{ trunc 2 "😀x" | b64enc }} {{ trunc 5 "😀x" }} {{ trunc 9 "héllo" }}`],
  ["substr", `{{ substr 0 2 "héllo" | b64enc }} {{ substr 1 3 "héllo" }} {{ substr 2 4 "héllo" | b64enc }} {{ substr -1 3 "héllo" }} {{ substr 3 -1 "héllo" }} {{ substr 3 99 "héllo" }} {{ substr 1 2 "😀" | b64enc }}`],
  ["abbrev", `{{ abbrev 5 "héllo wörld" | b64enc }} {{ abbrev 6 "héllo wörld" }} {{ abbrev 4 "ééé" }} {{ abbrev 4 "éééé" | b64enc }} {{ abbrev 7 "😀😀" }}`],
  ["abbrevboth", `{{ abbrevboth 2 7 "ééééééé" | b64enc }} {{ abbrevboth 1 8 "héllo wörld" | b64enc }}`],
  ["substr-panics", `{{ substr 4 2 "hello" }}`],
  ["trunc-big", `{{ trunc 100 "héllo" }}|{{ trunc -100 "héllo" }}|{{ trunc 0 "x" }}`],
  ["len-multibyte", `{{ len "héllo" }} {{ len "😀" }} {{ index "é" 1 }} {{ slice "😀" 1 3 | b64enc }}`],
  ["wrap-runes", `{{ wrap 4 "ééé ééé ééé" }}|{{ wrapWith 3 "|" "ab cd éé ff" }}`],
  ["printf-width-runes", `[{{ printf "%4s" "éé" }}][{{ printf "%-4s" "😀" }}][{{ printf "%.1s" "éé" }}][{{ printf "%4.1q" "éé" }}]`],
];

const printf: Row[] = [
  ["ties-f", `{{ printf "%.0f %.0f %.0f %.0f %.0f %.0f" 0.5 1.5 2.5 3.5 -0.5 -2.5 }}`],
  ["ties-f2", `{{ printf "%.2f %.2f %.1f %.3f %.1f" 0.125 0.375 0.25 1.0005 0.35 }}`],
  ["ties-e-g", `{{ printf "%.1e %.0e %.2g %.1g %.3e" 2.25 2.5 0.125 2.5 1.0625 }}`],
  ["big-f", `{{ printf "%f|%.2f|%.0f|%e|%g|%v" 1e21 1e22 123456789012345678901234567890.0 1e21 1e21 1e21 }}`],
  ["long-prec", `{{ printf "%.30f|%.20e|%.25g" 0.1 0.1 0.1 }}`],
  ["float-v", `{{ printf "%v %v %v %v %v %v %v" 1e20 1e21 100000.0 0.0001 0.00001 1.5e-7 -0.0 }}`],
  ["plus-v", `{{ printf "%+v|%+v|%+v|%+v|%+v|%+v" 1.5 3 "s" (list 1 -2) (dict "a" 1.5) (int64 5) }}`],
  ["plus-d-f", `{{ printf "%+d %+.1f %+e %+g % d % .2f %+x" 3 1.25 1.0 2.0 5 1.5 15 }}`],
  ["sharp-v-scalars", `{{ printf "%#v|%#v|%#v|%#v|%#v|%#v|%#v|%#v" "a\\"b" 3 1.0 1e6 1e21 2.5 true nil }}`],
  ["sharp-v-containers", `{{ printf "%#v|%#v|%#v|%#v" (list 1 "a" 2.5 nil) (dict "b" 1 "a" "x") (splitList "," "a,b") (list) }}`],
  ["sharp-v-data", `{{ printf "%#v" . }}`, { s: "x", n: 1, f: 1.5, l: [1, "a"], m: { k: true }, z: null }],
  ["sharp-v-int64-strmap", `{{ printf "%#v %#v %#v" (int64 3) (add 1 2) (until 3) }}`],
  ["x-float", `{{ printf "%x|%X|%.3x|%#x|%x|%x|%x|%x" 1.5 -0.1 3.14159 1.0 0.0 1e300 5e-324 -1.0 }}`],
  ["b-float", `{{ printf "%b|%b" 1.0 0.1 }}`],
  ["sharp-08x", `{{ printf "%#08x|%#8x|%08x|%#-8x|%#08o|%#o|%#b|%08.3x|%#X|%#x" 255 255 255 255 8 8 5 7 255 0 }}`],
  ["zero-pad", `{{ printf "%08.3f|%+08d|%-08d|%08s|%08q|%06.2f|%010e|%08v|% 08d" -3.14159 42 42 "ab" "ab" -1.5 1.5 -7 7 }}`],
  ["badindex", `{{ printf "%[3]d" 1 2 }}|{{ printf "%[0]d" 1 }}|{{ printf "%[x]d" 1 }}|{{ printf "%[2]d %d" 1 2 }}|{{ printf "%[1]d %[1]v" 5 }}|{{ printf "%[2]*d" 1 5 }}|{{ printf "%[1]" 1 }}`],
  ["badindex-more", `{{ printf "%[5]*d" 1 }}|{{ printf "%.[2]d" 1 2 }}|{{ printf "%[-1]d" 1 }}|{{ printf "%[1" 1 }}|{{ printf "%[99999999999]d" 1 }}`],
  ["missing-extra", `{{ printf "%d %d" 1 }}|{{ printf "%d" 1 2 "x" nil }}|{{ printf "%" }}|{{ printf "%!" 1 }}|{{ printf "%z" 1 }}|{{ printf "%-" }}`],
  ["bad-verbs", `{{ printf "%d|%s|%x|%t|%f|%c" 1.5 2 true 1 "s" "s" }}|{{ printf "%s|%d" nil nil }}|{{ printf "%d" (list 1 "a") }}|{{ printf "%s" (dict "a" 1) }}`],
  ["star", `{{ printf "%*d|%-*d|%.*f|%*s|" 5 1 5 1 2 3.14159 -4 "a" }}{{ printf "%*d" "x" 1 }}|{{ printf "%.*d" -1 5 }}|{{ printf "%*d" 10000000 1 | len }}`],
  ["ints", `{{ printf "%o|%O|%b|%x|%X|%c|%q|%U|%#U|%08b" 64 64 -5 -255 3054 65 0x1F600 0x1F600 0x1F600 5 }}`],
  ["runes-odd", `{{ printf "%c|%q|%U|%#U" -1 0x110000 -1 0xD800 }}|{{ printf "%q %q %+q %#q" 10 39 233 233 }}`],
  ["width-prec-int", `{{ printf "%6.3d|%-6.3d|%.0d|%5.0d|%+.3d|%x" 7 7 0 0 7 9223372036854775807 }}`],
  ["bool-t", `{{ printf "%5t|%-6t|%v|%q" true false true true }}`],
  ["T", `{{ printf "%T %T %T %T %T %T %T %T" 1 1.5 "s" true nil (list) (dict) (int64 1) }}`],
  ["percent-in-width", `{{ printf "%5%|%-5%|%05%" }}`],
  ["maps-sorted", `{{ printf "%v" (dict "b" 2 "a" 1 "c" (list 1 2)) }} {{ printf "%d" (dict "b" 2 "a" 1) }} {{ printf "%x" (list "ab" "c") }}`],
  ["nested-nil", `{{ printf "%v|%s|%d|%x|%q|%t" (list nil) (list nil) (list nil) (list nil) (list nil) (list nil) }}`],
  ["float-g-prec", `{{ printf "%.3g|%.10g|%g|%G|%.0g|%#g|%#.3g|%#v" 1234567.0 1.0 1e-5 1e-7 123.0 1.0 1.0 1e-7 }}`],
  ["sprint-spacing", `{{ print 1 2 "a" 3 4.5 nil true }}|{{ println 1 "a" nil }}|{{ print nil nil }}|{{ print "a" nil "b" }}`],
  // Characters Unicode added after Go's 15.0 tables: not printable for Go, so escaped.
  ["quote-newer-unicode", `{{ printf "%q|%+q" "\u1c89\ua7cb\u1ad0\U00010d50\u0295\u2427" "\u1c89" }}|{{ js "\u1c89\u2427" }}|{{ quote "\U0001FAE9" }}`],
  ["inf-nan", `{{ printf "%f|%5.1f|%+f|%e|%08f|%x|% f|%v" (float64 "Inf") (float64 "-Inf") (float64 "NaN") (float64 "NaN") (float64 "Inf") (float64 "Inf") (float64 "NaN") (float64 "-Inf") }}`],
];

const unicodeCase: Row[] = [
  ["upper-special", `{{ upper "ß" }}|{{ upper "ŉ" }}|{{ upper "ﬁ" }}|{{ upper "ᾳ" }}|{{ upper "ǅ" }}|{{ upper "ΐ" }}|{{ upper "ſ" }}|{{ upper "ı" }}`],
  ["lower-special", `{{ lower "İ" }}|{{ lower "ΑΣ" }}|{{ lower "ǅ" }}|{{ lower "Ω" }}|{{ lower "K" }}|{{ lower "ẞ" }}|{{ lower "Ａ" }}`],
  ["title", `{{ title "ßa ǆx ﬁb ŉc" }}|{{ title "hello wörld-foo_bar" }}|{{ title "o'neil" }}|{{ title "ɐbc" }}`],
  ["untitle-swapcase", `{{ untitle "ÉCOLE Σ" }}|{{ swapcase "ßǅİı" }}|{{ swapcase "Hello Wörld" }}|{{ swapcase "ǆ" }}`],
  ["upper-astral", `{{ upper "𐐨𞤢" }}|{{ lower "𐐀𞤀" }}|{{ upper "ȿɀ" }}|{{ lower "ⱾⱿ" }}`],
  ["case-helpers", `{{ camelcase "ß_x" }}|{{ snakecase "ÀbcDéf" }}|{{ kebabcase "ÉcoleÉté" }}|{{ camelcase "ǆx_ǆy" }}`],
];

const integers: Row[] = [
  ["int-range", `{{ int "9223372036854775807" }} {{ int "9223372036854775808" }} {{ int "-9223372036854775808" }} {{ int "-9223372036854775809" }} {{ int64 "18446744073709551615" }}`],
  ["int-syntax", `{{ int "1_000" }} {{ int "0x_1F" }} {{ int "0b101" }} {{ int "0o17" }} {{ int "017" }} {{ int "1e3" }} {{ int "5.0" }} {{ int "5.5" }} {{ int " 5" }} {{ int "+5" }} {{ int "-0" }} {{ int "1__0" }} {{ int "_1" }}`],
  ["int-floats", `{{ int 3.9 }} {{ int -3.9 }} {{ int 1e19 }} {{ int64 1e20 }} {{ int -1e19 }} {{ int64 (float64 "NaN") }} {{ int 9.223372036854775807e18 }}`],
  ["int64-typed", `{{ int64 "1_000" | typeOf }} {{ int64 "0x10" }} {{ int64 true }} {{ int64 nil }} {{ int64 "abc" }} {{ int64 "" }}`],
  ["float64", `{{ float64 "1_000.5" }} {{ float64 "0x1p-2" }} {{ float64 "1e309" }} {{ float64 "-1e309" }} {{ float64 "inf" }} {{ float64 " 1" }} {{ float64 "1_000" }} {{ float64 9223372036854775807 }}`],
  ["atoi", `{{ atoi "1_000" }} {{ atoi "+5" }} {{ atoi "9223372036854775808" }} {{ atoi "-9223372036854775808" }} {{ atoi "0x10" }} {{ atoi " 1" }} {{ atoi "1.0" }}`],
  ["arith-wrap", `{{ add 9223372036854775807 1 }} {{ mul 4611686018427387904 2 }} {{ sub -9223372036854775808 1 }} {{ add1 9223372036854775807 }} {{ div -9223372036854775808 -1 }} {{ mod -7 3 }}`],
  ["arith-strings", `{{ add "1_000" 1 }} {{ add "0x10" "010" }} {{ mul "2" "3.0" }} {{ max "9223372036854775808" 1 }} {{ add 1.9 1.9 }} {{ sub "1e2" 0 }}`],
  ["const-overflow", `{{ 9223372036854775808 }}`],
  ["const-uint-arg", `{{ printf "%T %v" 9223372036854775808 9223372036854775808 }}`],
  ["const-underscore", `{{ 1_000 }} {{ 0x_FF }} {{ 0b1_0 }} {{ 0o1_7 }} {{ 1_0.5 }} {{ printf "%T" 1_000 }}`],
  ["const-bad-underscore", `{{ 1__0 }}`],
  ["const-limits", `{{ 9223372036854775807 }} {{ -9223372036854775808 }} {{ 0x7FFFFFFFFFFFFFFF }} {{ 1e18 | printf "%T" }} {{ 'a' }} {{ '\\n' }} {{ '\\u00e9' | printf "%c" }}`],
  ["const-neg-overflow", `{{ -9223372036854775809 }}`],
  ["toString-ints", `{{ toString 9223372036854775807 }} {{ toString (int64 -1) }} {{ toString 1e21 }} {{ toString 1.0 }} {{ toString (float64 "1e-7") }}`],
  ["seq-arities", `{{ seq 3 }}|{{ seq 2 5 }}|{{ seq 5 2 }}|{{ seq 1 2 7 }}|{{ seq 7 -2 1 }}|{{ seq 1 0 3 }}|{{ seq }}|{{ seq 0 }}|{{ seq -2 }}`],
  ["seq-four", `{{ seq 1 2 3 4 }}`],
  ["seq-five", `{{ seq 1 2 3 4 5 }}|{{ seq 1 -1 3 }}|{{ seq 3 1 1 }}`],
];

const strcase: Row[] = [
  ["snakecase", `{{ snakecase "HTTPServer" }}|{{ snakecase "fooBar" }}|{{ snakecase "foo bar" }}|{{ snakecase "Foo-Bar_baz" }}|{{ snakecase "  x" }}|{{ snakecase "ID" }}|{{ snakecase "already_snake" }}|{{ snakecase "a1B2" }}|{{ snakecase "getHTTPResponseCode" }}|{{ snakecase "XMLHttpRequest" }}`],
  ["snakecase-edges", `{{ snakecase "" }}|{{ snakecase "_" }}|{{ snakecase "__a__b__" }}|{{ snakecase "a--b" }}|{{ snakecase "A" }}|{{ snakecase "aB" }}|{{ snakecase "Ab" }}|{{ snakecase "ABc" }}|{{ snakecase "1A" }}|{{ snakecase "a.b" }}|{{ snakecase "a  b" }}|{{ snakecase "v2Beta1" }}`],
  ["camelcase", `{{ camelcase "foo_bar" }}|{{ camelcase "foo-bar baz" }}|{{ camelcase "_foo" }}|{{ camelcase "FOO_BAR" }}|{{ camelcase "foo__bar" }}|{{ camelcase "héllo_wörld" }}|{{ camelcase "1abc" }}|{{ camelcase "fooBar" }}|{{ camelcase "http_server" }}`],
  ["camelcase-edges", `{{ camelcase "" }}|{{ camelcase "_" }}|{{ camelcase "a" }}|{{ camelcase "a_" }}|{{ camelcase "a.b" }}|{{ camelcase "a b" }}|{{ camelcase "A_B_C" }}|{{ camelcase "x-1-y" }}|{{ camelcase "ab CD ef" }}|{{ camelcase "foo_Bar" }}`],
  ["kebabcase", `{{ kebabcase "HTTPServer" }}|{{ kebabcase "fooBar" }}|{{ kebabcase "foo_bar baz" }}|{{ kebabcase "FOO" }}|{{ kebabcase "_a_" }}|{{ kebabcase "a1B2" }}|{{ kebabcase "a.b" }}`],
  ["swapcase-initials", `{{ swapcase "hELLO wORLD" }}|{{ initials "hello  wide world" }}|{{ initials " a\\tb\\nc" }}|{{ untitle "Hello World" }}|{{ title "hello_world" }}`],
];

const containers: Row[] = [
  ["dig-string-map", `{{ dig "a" "def" . }}`],
  ["dig-string-map-missing", `{{ dig "zz" "def" . }}`],
  ["dig-nested-string", `{{ dig "a" "b" "def" (dict "a" "x") }}`],
  ["dig-ok", `{{ dig "a" "b" "def" (dict "a" (dict "b" 1)) }}|{{ dig "a" "c" "def" (dict "a" (dict "b" 1)) }}|{{ dig "x" "d" (dict) }}`],
  ["dig-nonstring-key", `{{ dig 1 "def" (dict "a" 1) }}`],
  ["dig-too-few", `{{ dig "a" (dict) }}`],
  ["deepCopy-type", `{{ deepCopy . | typeOf }} {{ deepCopy . | toJson }} {{ (deepCopy .).a }}`],
  ["deepCopy-kinds", `{{ deepCopy (splitList "," "a,b") | typeOf }} {{ deepCopy (until 2) | typeOf }} {{ deepCopy (int64 1) | typeOf }} {{ deepCopy "s" }} {{ deepCopy (b64dec "/w==") | len }} {{ deepCopy nil | typeOf }}`],
  ["mustDeepCopy-nil", `{{ mustDeepCopy nil }}`],
  ["deepCopy-independent", `{{ $a := dict "x" (dict "y" 1) }}{{ $b := deepCopy $a }}{{ $_ := set $b.x "y" 2 }}{{ $a.x.y }} {{ $b.x.y }}`],
  ["index-string-map", `{{ index . "a" }}|{{ index . "zz" }}|{{ .a }}`],
];

const constants: Row[] = [
  ["complex-print", `{{ 1i }}|{{ 2+3i }}|{{ 1.5-2i }}|{{ 0i }}|{{ -1i }}|{{ 1e3i }}|{{ 0x1p2i }}|{{ 1_0i }}|{{ 2+0i | printf "%T %v" }}|{{ trunc 2+0i "abc" }}|{{ 1e2+1e-2i }}|{{ -1-1i }}`],
  ["complex-hex-int", `{{ 0x10i }}`],
  ["complex-bad-imag", `{{ 1+0x10i }}`],
  ["complex-printf", `{{ printf "%v|%T|%.2f|%+v|%#v|%g|%e" 1i 2+3i 1+2i 1-1i 2i 1+0.5i 1i }}`],
  ["complex-eq", `{{ eq 1i 1i }} {{ eq 2+3i 2+3i }} {{ ne 1i 2i }}`],
  ["complex-lt", `{{ lt 1i 2i }}`],
  ["complex-sprig", `{{ toString 1i }} {{ typeOf 2+3i }} {{ kindOf 1i }} {{ toJson 1i }}|{{ add 1i 1 }}|{{ empty 0i }} {{ empty 1i }}|{{ int 1i }}`],
  ["complex-mustToJson", `{{ mustToJson (list 1i) }}`],
  ["complex-if", `{{ if 0i }}yes{{ else }}no{{ end }} {{ if 1i }}yes{{ end }} {{ not 0i }}`],
  ["complex-bad", `{{ 1+2 }}`],
  ["inf-const", `{{ 1e309 }}`],
  ["inf-const-neg", `{{ -1e309 }}`],
  ["inf-const-arg", `{{ printf "%v" 1e309 }}`],
  ["big-float-const", `{{ 1e308 }} {{ 1.7976931348623157e308 }} {{ 4.9e-324 }} {{ 1e-400 }} {{ 0x1p-2 }} {{ 0x1.8p1 }} {{ 1E2 }} {{ .5 }} {{ 5. }}`],
  ["huge-int-const", `{{ 18446744073709551615 }}`],
  ["huge-float-const", `{{ 18446744073709551616 }} {{ 100000000000000000000 | printf "%T" }}`],
  ["char-const", `{{ 'x' | printf "%T %v" }} {{ '\\x41' }} {{ '\\'' }} {{ '\\377' }}`],
  ["const-method-like", `{{ 1.5e3 }} {{ 0x1F }} {{ 0X1f }} {{ 0o777 }} {{ 0O7 }} {{ 0777 }} {{ 0b11 }} {{ 0B11 }} {{ +5 }} {{ -0x10 }}`],
  ["hex-float-int", `{{ 0x10p0 | printf "%T" }} {{ 0x1p4 }} {{ 1e2 | printf "%T" }} {{ 100.0 | printf "%T" }}`],
];

const yaml: Row[] = [
  ["fromYaml-dates", `{{ $y := fromYaml "a: 2024-01-02\\nb: 2024-01-02T03:04:05Z\\nc: 2024-01-02 03:04:05" }}{{ $y.a | typeOf }} {{ $y.a }}|{{ $y.b | typeOf }} {{ $y.b }}|{{ $y.c }}`],
  ["fromYaml-dates-toYaml", `{{ fromYaml "d: 2001-12-14t21:59:43.10-05:00\\ne: 2002-12-14" | toYaml }}`],
  ["fromYaml-dates-json", `{{ fromYaml "d: 2024-01-02\\nn: 1\\nf: 1.5\\nb: yes\\ns: '2024-01-02'\\nx: 0x10\\no: 0o17\\nz: ~" | toJson }}`],
  ["fromYaml-alias-bomb", `{{ $y := fromYaml "a0: &a0 [x,x,x,x,x,x,x,x,x]\\na1: &a1 [*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0]\\na2: &a2 [*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1]\\na3: &a3 [*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2]\\na4: &a4 [*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3]\\na5: &a5 [*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4]\\na6: &a6 [*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5]" }}{{ $y.Error }}`],
  ["fromYaml-aliases-few", `{{ fromYaml "base: &b {k: v}\\nother: *b\\nlist: [*b, *b]" | toJson }}`],
  ["fromYaml-scalars", `{{ $y := fromYaml "a: 1\\nb: 1.0\\nc: true\\nd: null\\ne: 1e3\\nf: .inf\\ng: on\\nh: 012" }}{{ range $k, $v := $y }}{{ $k }}={{ typeOf $v }}:{{ $v }};{{ end }}`],
  // go-yaml's parse error texts are not reproduced (see README); these are the other failures.
  ["fromYaml-not-a-map", `{{ fromYaml "- 1\\n- 2" | toJson }}|{{ fromYaml "a: 1\\na: 2" | toJson }}|{{ fromYaml "abc" | toJson }}|{{ fromYaml "1.5" | toJson }}|{{ fromYaml "" | toJson }}|{{ fromYaml "~" | toJson }}|{{ fromYaml "a: .nan" | toJson }}|{{ fromYaml "b: -.inf\\na: .inf" | toJson }}`],
  ["fromYaml-merge-anchors", `{{ fromYaml "base: &b {x: 1, y: 2}\\nother: &o {y: 3, z: 4}\\nm:\\n  <<: [*b, *o]\\n  x: 9\\nl: [*b, *b]" | toJson }}`],
  ["fromYaml-keys-quoting", `{{ fromYaml "1: a\\n1.5: b\\ntrue: c\\n0x10: d\\n'0x11': e\\nq: '1_000'\\nr: 1_000\\ns: !!str 12\\nt: |\\n  block\\nu: -0b101\\nv: +12\\nw: 1e3\\nx: 08" | toJson }}`],
  ["toYaml-strings", `{{ toYaml (dict "d" "2024-01-02" "y" "yes" "n" "1" "e" "" "m" "a\\nb") }}`],
];

const paths: Row[] = [
  ["osBase", `{{ osBase "foo/bar" }}|{{ osBase "/foo/bar/" }}|{{ osBase "" }}|{{ osBase "///" }}|{{ osBase "a" }}`],
  ["osDir", `{{ osDir "foo/bar" }}|{{ osDir "/foo/bar/" }}|{{ osDir "" }}|{{ osDir "a" }}|{{ osDir "/a" }}|{{ osDir "a//b/../c" }}`],
  ["osClean", `{{ osClean "a//b/./../c/" }}|{{ osClean "" }}|{{ osClean "/../x" }}|{{ osClean "../../a" }}`],
  ["osExt-osIsAbs", `{{ osExt "a/b.tar.gz" }}|{{ osExt "a.b/c" }}|{{ osExt ".bashrc" }}|{{ osIsAbs "/a" }} {{ osIsAbs "a" }} {{ osIsAbs "" }}`],
  ["path-funcs", `{{ base "a/b.c" }} {{ dir "a/b/c" }} {{ clean "a/../../b" }} {{ ext "x.y.z" }} {{ isAbs "/x" }} {{ ext "a/.b" }} {{ dir "" }} {{ base "a/" }}`],
  ["hexdec", `{{ hexdec "48656c6c6f" }}|{{ hexdec "" }}|{{ hexdec "4A4b" }}|{{ hexdec "ff00" | b64enc }}|{{ hexdec "zz" }}|{{ hexdec "abc" }}|{{ hexdec "0g" }}|{{ hexdec "é" }}`],
  ["hexdec-roundtrip", `{{ "café" | printf "%x" | hexdec }}`],
];

// Generated rows: sweeps that catch what single examples miss.

/** Float formatting: every verb at several precisions over values with ties, extremes and noise. */
function floatSweep(): Row[] {
  const values = ["0.5", "1.5", "2.5", "0.125", "0.375", "1.0005", "2.675", "1e-7", "123456.789", "5e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "9007199254740993.0", "0.1", "0.3333333333333333", "-0.0", "-1234.5678", "1e15", "1e16", "1e20", "1e21", "1e22", "9.999999999999999e22", "0.000123", "100.0"];
  return values.map((v, i) => [`float-sweep-${i}`, `{{ $v := ${v} }}{{ range $p := list 0 1 2 3 5 8 15 17 20 }}{{ printf "%.*e|%.*f|%.*g|%.*x|" $p $v $p $v $p $v $p $v }}{{ end }}{{ printf "%v|%e|%f|%g|%G|%E|%x|%X|%b|%#v|%+.3e|%#g|%#.0f|%#.0e|%10.3g|%-10.2f|%010.2f" $v $v $v $v $v $v $v $v $v $v $v $v $v $v $v $v $v }}`] as const);
}

/** Integer verbs, flags, widths and precisions over signed extremes. */
function intSweep(): Row[] {
  const values = ["0", "1", "-1", "255", "-255", "9223372036854775807", "-9223372036854775808", "0x1F600", "65"];
  const verbs = ["%d", "%+d", "% d", "%5d", "%-5d|", "%05d", "%.3d", "%8.3d", "%x", "%#x", "%X", "%#X", "%o", "%#o", "%O", "%b", "%#b", "%c", "%q", "%+q", "%U", "%#U", "%#08x", "%-#8x|", "%v", "%#v", "%+v", "%t", "%s", "%f", "%e"];
  return values.map((v, i) => [`int-sweep-${i}`, `{{ $v := ${v} }}${verbs.map((f) => `{{ printf "${f}" $v }}`).join("|")}|{{ printf "%d %x" (int64 $v) (int64 $v) }}`] as const);
}

/** Case mapping over whole Unicode blocks with cased letters (Go has Unicode 15.0 tables). */
function caseSweep(): Row[] {
  const blocks: [number, number][] = [[0xa0, 0x250], [0x250, 0x2b0], [0x370, 0x400], [0x400, 0x530], [0x530, 0x590], [0x10a0, 0x1100], [0x13a0, 0x1400], [0x1c80, 0x1cc0], [0x1d00, 0x1dc0], [0x1e00, 0x1f00], [0x1f00, 0x2000], [0x2100, 0x2190], [0x2c00, 0x2d30], [0xa640, 0xa6a0], [0xa720, 0xa800], [0xab30, 0xabc0], [0xff00, 0xff60], [0x10400, 0x10450], [0x104b0, 0x10500], [0x10570, 0x105c0], [0x10c80, 0x10d00], [0x118a0, 0x118e0], [0x16e40, 0x16e80], [0x1e900, 0x1e950]];
  return blocks.map(([lo, hi]) => {
    let text = "";
    for (let cp = lo; cp < hi; cp++) if (/\p{L}/u.test(String.fromCodePoint(cp))) text += String.fromCodePoint(cp);
    return [`sweep-${lo.toString(16)}`, `{{ $s := ${JSON.stringify(text)} }}{{ upper $s }}|{{ lower $s }}|{{ title (splitList "" $s | join " ") }}|{{ swapcase $s }}|{{ untitle $s }}`] as const;
  });
}

/** camelcase / snakecase / kebabcase over word shapes. */
function strcaseSweep(): Row[] {
  const words = ["HTTPStatusCode", "Bld4Floor", "HTTP2xx", "a1b2C3", "x__y", "--a--", "_Leading", "trailing_", "MixedUP_case-Words here", "ÄrgerÜber", "αβΓδ", "日本語Text", "emoji😀Case", "tab\tsep", "dots.and,commas", "ID", "iD", "Id", "ABC123def", "123", "a", "A", "_", "-", " "];
  return words.map((w, i) => [`sweep-${i}`, `{{ $w := "${w}" }}{{ camelcase $w }}|{{ snakecase $w }}|{{ kebabcase $w }}|{{ swapcase $w }}|{{ initials $w }}|{{ title $w }}`] as const);
}

/** cast conversions over string shapes. */
function conversionSweep(): Row[] {
  const inputs = ["0", "-0", "+0", "00", "08", "0x", "0x0", "0X1f", "0b", "0b2", "0o8", "1.", ".1", "-.1", "+.", "1.0.0", "1e2", "1E2", "0x1p3", "1_000_000", "_100", "100_", "1,000", "12abc", "٣", "9223372036854775806.9", "-9223372036854775808.5", "18446744073709551616", "nan", "Inf", "-inf", "1e400", " 1 ", "true"];
  return inputs.map((x, i) => [`sweep-${i}`, `{{ $x := "${x}" }}{{ int $x }} {{ int64 $x }} {{ float64 $x }} {{ atoi $x }} {{ add $x 0 }} {{ toDecimal $x }}`] as const);
}

/** A fixed pseudo-random stream, so the generated cases are the same on every run. */
function lcg(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
}

/** printf with random flags, argument indexes, widths, precisions, verbs and operands. */
function printfFuzz(count: number): Row[] {
  const rnd = lcg(1);
  const pick = <T,>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const operands = ["1", "-7", "0", "255", "1.5", "-0.1", "2.5", "1e21", "1e-7", `"héllo"`, `"ab"`, `""`, "true", "nil", "(list 1 2)", `(dict "a" 1)`, "(int64 9)", "1i", `(b64dec "/w==")`, `(splitList "," "x,y")`, "'x'", "9223372036854775807"];
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    let f = "";
    for (let j = 1 + rnd(3); j > 0; j--) {
      f += pick(["", "a", "|", "é"]) + "%";
      for (let k = rnd(3); k > 0; k--) f += pick(["#", "0", "+", "-", " "]);
      if (rnd(4) === 0) f += `[${rnd(4)}]`;
      if (rnd(3) === 0) f += rnd(5) === 0 ? "*" : String(rnd(12));
      if (rnd(3) === 0) f += "." + (rnd(5) === 0 ? "*" : String(rnd(8)));
      if (rnd(6) === 0) f += `[${rnd(4)}]`;
      f += pick("vdsqxXofFeEgGbcUtT%wz".split(""));
    }
    const args = Array.from({ length: rnd(4) }, () => pick(operands)).join(" ");
    rows.push([`fuzz-${i}`, `{{ printf ${JSON.stringify(f)} ${args} | b64enc }}`]);
  }
  return rows;
}

/** String functions on random byte strings: ASCII, UTF-8, cut runes, invalid bytes. */
function bytesFuzz(count: number): Row[] {
  const rnd = lcg(7);
  const pick = <T,>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const pieces = [[0x61], [0x41], [0x20], [0x5f], [0x2d], [0x2e], [0x31], [0xc3, 0xa9], [0xc3], [0xa9], [0xff], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0x09], [0x0a], [0xc3, 0x9f], [0xce, 0xa3], [0x48, 0x54, 0x54, 0x50], [0xef, 0xbf, 0xbd], [0xc2, 0xa0], [0x22], [0x5c]];
  const str = (): string => {
    const b: number[] = [];
    for (let k = rnd(9); k > 0; k--) b.push(...pick(pieces));
    return `(b64dec "${Buffer.from(b).toString("base64")}")`;
  };
  const calls: (() => string)[] = [
    () => `trunc ${rnd(12) - 6} ${str()}`, () => `substr ${rnd(6) - 1} ${rnd(9) - 1} ${str()}`, () => `abbrev ${rnd(10)} ${str()}`, () => `abbrevboth ${rnd(6)} ${rnd(12)} ${str()}`,
    () => `upper ${str()}`, () => `lower ${str()}`, () => `title ${str()}`, () => `untitle ${str()}`, () => `swapcase ${str()}`, () => `snakecase ${str()}`, () => `camelcase ${str()}`, () => `kebabcase ${str()}`,
    () => `initials ${str()}`, () => `nospace ${str()}`, () => `wrap ${rnd(6)} ${str()}`, () => `wrapWith ${rnd(6)} "|" ${str()}`, () => `trim ${str()}`, () => `trimAll ${str()} ${str()}`,
    () => `trimPrefix ${str()} ${str()}`, () => `trimSuffix ${str()} ${str()}`, () => `replace ${str()} "~" ${str()}`, () => `contains ${str()} ${str()}`, () => `hasPrefix ${str()} ${str()}`,
    () => `quote ${str()}`, () => `squote ${str()}`, () => `splitList ${str()} ${str()} | toJson`, () => `splitn ${str()} ${rnd(4)} ${str()} | toJson`, () => `toJson ${str()}`, () => `len ${str()}`,
    () => `js ${str()}`, () => `urlquery ${str()}`, () => `html ${str()}`, () => `lt ${str()} ${str()}`, () => `list ${str()} ${str()} ${str()} | sortAlpha | toJson`,
    () => `printf "%q|%x|%5.2s|%-4v|%+q" ${str()} ${str()} ${str()} ${str()} ${str()}`, () => `regexReplaceAll "[a-z]" ${str()} "X"`, () => `cat ${str()} ${str()}`, () => `indent 2 ${str()}`,
    () => `repeat 2 ${str()}`, () => `slice ${str()} 0 1`, () => `index ${str()} 0`,
  ];
  return Array.from({ length: count }, (_, i) => [`fuzz-${i}`, `{{ ${pick(calls)()} | toString | b64enc }}`] as const);
}

/** Random number texts, as template constants and as strings through the conversions. */
function numberFuzz(count: number): Row[] {
  const rnd = lcg(3);
  const pick = <T,>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const num = (): string => {
    let s = pick(["", "", "-", "+"]);
    const hex = rnd(6) === 0;
    if (hex) s += pick(["0x", "0X", "0b", "0o", "0"]);
    for (let k = 1 + rnd(20); k > 0; k--) s += pick(hex ? ["0", "1", "7", "9", "_", "a", "f"] : ["0", "1", "7", "9", "_", "5"]);
    if (rnd(3) === 0) s += "." + String(rnd(1000));
    if (rnd(4) === 0) s += pick(["e", "E", "p"]) + pick(["", "-", "+"]) + String(rnd(400));
    if (rnd(8) === 0) s += "i";
    return s;
  };
  return Array.from({ length: count }, (_, i) => {
    const n = num();
    const t = rnd(2) === 0
      ? `{{ ${n} | printf "%T %v" }}`
      : `{{ $s := ${JSON.stringify(n)} }}{{ int $s }} {{ int64 $s }} {{ float64 $s }} {{ atoi $s }} {{ add $s 1 }} {{ toDecimal $s }} {{ mul $s 2 }} {{ int (float64 $s) }}`;
    return [rnd(3) === 0 ? `fuzz-${i}@sealed-secrets` : `fuzz-${i}`, t] as const;
  });
}

const CLASSES: ReadonlyArray<readonly [string, readonly Row[]]> = [
  ["bytes", [...bytes, ...bytesFuzz(400)]],
  ["offsets", offsets],
  ["printf", [...printf, ...floatSweep(), ...intSweep(), ...printfFuzz(400)]],
  ["case", [...unicodeCase, ...caseSweep()]],
  // Sealed Secrets links spf13/cast v1.7.0, ESO v1.10.0: the sweep runs on both.
  ["integers", [...integers, ...conversionSweep(), ...conversionSweep().map(([id, t]) => [`${id}@sealed-secrets`, t] as const), ...numberFuzz(400)]],
  ["strcase", [...strcase, ...strcaseSweep()]],
  ["containers", containers],
  ["constants", constants],
  ["yaml", yaml],
  ["paths", paths],
];

/** ESO-profile cases (map[string]string data like ESO passes) per class; ids are "<class>/<name>"
 * (bytes/sealed-profile and names ending in @sealed-secrets run with the Sealed Secrets profile). */
export function goFidelityCases(): OracleCase[] {
  const out: OracleCase[] = [];
  for (const [cls, rows] of CLASSES) {
    for (const [id, template, data] of rows) {
      const profile = id === "sealed-profile" || id.endsWith("@sealed-secrets") ? "sealed-secrets" : "eso";
      if (data !== undefined) out.push({ id: `${cls}/${id}`, profile, template, data });
      else out.push({ id: `${cls}/${id}`, profile, template, data: { a: "1", b: "two", bin: "b\u00e9" }, stringData: true });
    }
  }
  return out;
}

/** The class a case id belongs to (its first path segment). */
export function caseClass(id: string): string {
  return id.split("/")[0] ?? id;
}
