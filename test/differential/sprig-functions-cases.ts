// Differential cases for the Sprig v3.3.0 functions beyond the common set: dates and durations,
// decimal float arithmetic, semver, URLs, AES, derivePassword, abbrevboth, chunk and merge.
import type { OracleCase } from "./gorender.ts";

export function sprigFunctionCases(): OracleCase[] {
  const out: OracleCase[] = [];
  const add = (id: string, template: string, data: Record<string, unknown> = {}): void => {
    out.push({ id: `sprig/${id}`, profile: "sealed-secrets", template, data });
  };
  const T: [string, string][] = [
    // durations
    ["duration-string", `{{ duration "95" }} {{ duration "0" }} {{ duration "-3661" }} {{ duration "86400" }} {{ duration "x" }}`],
    ["duration-int-is-zero", `{{ duration 95 }} {{ duration (int64 95) }} {{ duration 1.5 }}`],
    ["duration-overflow", `{{ duration "99999999999999999999" }} {{ duration "9223372036" }} {{ duration "9223372037" }}`],
    ["durationRound", `{{ durationRound "2h10m5s" }} {{ durationRound "400h" }} {{ durationRound "2000h" }} {{ durationRound "9000h" }} {{ durationRound "1s" }} {{ durationRound "1.5s" }} {{ durationRound "-90m" }} {{ durationRound "bad" }} {{ durationRound (int64 3000000000) }} {{ durationRound 5 }}`],
    ["dateModify", `{{ toDate "2006-01-02 15:04" "2024-02-28 23:30" | dateModify "1h" | date "2006-01-02 15:04:05" }} {{ toDate "2006-01-02" "2024-03-01" | date_modify "-1.5h" | date "2006-01-02 15:04:05.000" }}`],
    ["dateModify-units", `{{ $t := toDate "2006-01-02" "2024-01-01" }}{{ dateModify "1h2m3s4ms5us6ns" $t | date "15:04:05.000000000" }} {{ dateModify "1µs" $t | date ".000000" }} {{ dateModify "1μs" $t | date ".000000" }} {{ dateModify ".5h" $t | date "15:04" }} {{ dateModify "+2h" $t | date "15:04" }}`],
    ["dateModify-bad-keeps", `{{ toDate "2006-01-02" "2024-01-01" | dateModify "1d" | date "2006-01-02" }}`],
    ["mustDateModify-bad", `{{ toDate "2006-01-02" "2024-01-01" | mustDateModify "1d" }}`],
    ["mustDateModify-errors", `{{ $t := toDate "2006-01-02" "2024-01-01" }}{{ range list "" "-" "1" ".s" "1.h" "1x" "µ" "1hh" "9999999999h" "1.5.5h" }}{{ . }}={{ (mustDateModify . $t | date "15:04") }};{{ end }}`],
    ["must_date_modify-missing-unit", `{{ toDate "2006-01-02" "2024-01-01" | must_date_modify "10" }}`],
    ["mustDateModify-unknown-unit-utf8", `{{ toDate "2006-01-02" "2024-01-01" | mustDateModify "3é" }}`],
    ["dateModify-not-time", `{{ dateModify "1h" "2024-01-01" }}`],
    ["dateModify-zero", `{{ toDate "x" "y" | dateModify "0" }}|{{ toDate "x" "y" | dateModify "-0" }}`],
    // toDate / mustToDate: Go's layout parser
    ["toDate-basic", `{{ toDate "2006-01-02" "2017-12-31" }}|{{ toDate "2006-01-02" "2017-12-31" | date "02/01/2006" }}`],
    ["toDate-rfc3339", `{{ toDate "2006-01-02T15:04:05Z07:00" "2024-05-06T07:08:09Z" }}|{{ toDate "2006-01-02T15:04:05Z07:00" "2024-05-06T07:08:09+02:00" }}|{{ toDate "2006-01-02T15:04:05Z07:00" "2024-05-06T07:08:09.123456789-05:30" }}`],
    ["toDate-rfc3339-nano", `{{ toDate "2006-01-02T15:04:05.999999999Z07:00" "2024-05-06T07:08:09.5Z" }}|{{ toDate "2006-01-02T15:04:05.000Z07:00" "2024-05-06T07:08:09.120+00:00" }}`],
    ["toDate-named-months", `{{ toDate "Jan 2, 2006" "Feb 29, 2024" }}|{{ toDate "January 2 2006" "march 3 1999" }}|{{ toDate "Mon, 02 Jan 2006 15:04:05 MST" "Tue, 07 May 2024 10:00:00 UTC" }}`],
    ["toDate-rfc1123-zones", `{{ toDate "Mon, 02 Jan 2006 15:04:05 MST" "Tue, 07 May 2024 10:00:00 PST" }}|{{ toDate "Mon, 02 Jan 2006 15:04:05 MST" "Tue, 07 May 2024 10:00:00 GMT+2" }}|{{ toDate "Mon, 02 Jan 2006 15:04:05 -0700" "Tue, 07 May 2024 10:00:00 +0130" }}`],
    ["toDate-kitchen", `{{ toDate "3:04PM" "11:30AM" }}|{{ toDate "3:04pm" "12:05am" }}|{{ toDate "03:04 PM" "12:00 PM" }}`],
    ["toDate-yearday", `{{ toDate "2006-002" "2024-060" }}|{{ toDate "2006 __2" "2023  59" }}|{{ toDate "2006-002" "2023-366" }}`],
    ["toDate-two-digit-year", `{{ toDate "02-01-06" "31-12-68" }}|{{ toDate "02-01-06" "01-01-69" }}`],
    ["toDate-fraction-without-layout", `{{ toDate "15:04:05" "10:11:12.987654321" | date "15:04:05.000000000" }}|{{ toDate "15:04:05" "10:11:12,5" | date "05.000" }}`],
    ["toDate-underscores", `{{ toDate "_2 Jan 2006" " 7 May 2024" }}|{{ toDate "_2006" "_2024" }}`],
    ["toDate-zones-iso", `{{ toDate "2006-01-02 Z0700" "2024-01-01 Z" }}|{{ toDate "2006-01-02 Z07" "2024-01-01 +05" }}|{{ toDate "2006-01-02 -07:00:00" "2024-01-01 -01:02:03" }}|{{ toDate "2006-01-02 -070000" "2024-01-01 +010203" }}`],
    ["toDate-error-zero", `{{ toDate "2006-01-02" "not a date" }}|{{ toDate "2006-01-02" "2024-02-30" | unixEpoch }}`],
    ["toDate-lowercase-after-Jan", `{{ toDate "Janx 2006" "Janx 2024" }}`],
    ["mustToDate-ok", `{{ mustToDate "2006-01-02 15:04:05" "2024-05-06 07:08:09" | unixEpoch }}`],
    ["mustToDate-cannot-parse", `{{ mustToDate "2006-01-02" "2024/05/06" }}`],
    ["mustToDate-day-range", `{{ mustToDate "2006-01-02" "2023-02-29" }}`],
    ["mustToDate-month-range", `{{ mustToDate "2006-01-02" "2023-13-01" }}`],
    ["mustToDate-hour-range", `{{ mustToDate "15:04" "24:00" }}`],
    ["mustToDate-extra-text", `{{ mustToDate "2006-01-02" "2024-05-06T00:00" }}`],
    ["mustToDate-quote-nonascii", `{{ mustToDate "2006" "2024é" }}`],
    ["mustToDate-quote-ctrl", `{{ mustToDate "2006" "\\t2024\\"" }}`],
    ["mustToDate-zone-offset-range", `{{ mustToDate "2006 -0700" "2024 +2500" }}`],
    ["mustToDate-bad-zone", `{{ mustToDate "2006 MST" "2024 Xy" }}`],
    ["mustToDate-ampm-bad", `{{ mustToDate "3PM" "3XM" }}`],
    ["mustToDate-yday-mismatch", `{{ mustToDate "2006-01-02 002" "2024-01-05 010" }}`],
    ["mustToDate-weekday-unchecked", `{{ mustToDate "Mon 2006-01-02" "Fri 2024-01-01" | unixEpoch }}`],
    ["mustToDate-frac-fixed", `{{ mustToDate "05.000" "07.12" }}`],
    ["toDate-stdzone-abbrev", `{{ toDate "2006 MST" "2024 CEST" }}|{{ toDate "2006 MST" "2024 ChST" }}|{{ toDate "2006 MST" "2024 -03" }}|{{ toDate "2006 MST" "2024 WITA" }}`],
    ["toDate-unix-and-date", `{{ toDate "2006-01-02" "1969-12-31" | unixEpoch }} {{ toDate "2006-01-02" "0001-01-01" | date "2006" }}`],
    // decimal arithmetic
    ["addf", `{{ addf 1.1 2.2 }} {{ addf 0.1 0.2 }} {{ addf }} {{ addf 1 "2.5" }} {{ addf 1e20 1 }} {{ addf 1e-7 }}`],
    ["add1f", `{{ add1f 1.5 }} {{ add1f "x" }} {{ add1f 0.1 }} {{ add1f -1 }}`],
    ["subf", `{{ subf 3.3 1.1 }} {{ subf 0.3 0.1 }} {{ subf 10 1 2 3 }} {{ subf 1 }}`],
    ["mulf", `{{ mulf 1.1 3 }} {{ mulf 0.1 0.1 }} {{ mulf 1e200 1e200 }} {{ mulf 2 }} {{ mulf 1.5 "2" (int64 4) }}`],
    ["divf", `{{ divf 1 3 }} {{ divf 2 3 }} {{ divf 10 4 }} {{ divf -2 3 }} {{ divf 1 7 }} {{ divf 22 7 }} {{ divf 1e-20 3 }} {{ divf 5e-17 1 }}`],
    ["divf-zero", `{{ divf 1 0 }}`],
    ["addf-nan", `{{ addf "NaN" 1 }}`],
    ["addf-inf", `{{ addf "-Inf" 1 }}`],
    ["addf-strings", `{{ addf "0x10" "1_0" " 2" "1e400" "+.5" "5." "0x1p4" "1__0" "0x1.8p1" "_1" }}`],
    ["mulf-json-number", `{{ mulf .f .n }} {{ divf .n .f }}`],
    ["toDecimal", `{{ toDecimal "0777" }} {{ toDecimal "777" }} {{ toDecimal "8" }} {{ toDecimal 17 }} {{ toDecimal "-10" }} {{ toDecimal "x" }} {{ toDecimal true }} {{ toDecimal 1.5 }} {{ toDecimal "1000000000000000000000000" }} | {{ toDecimal "777" | typeOf }}`],
    // strings and lists
    ["abbrevboth", `{{ abbrevboth 5 10 "1234 5678 9123" }}|{{ abbrevboth 0 7 "abcdefghij" }}|{{ abbrevboth 1 3 "abcdefghij" }}|{{ abbrevboth 2 6 "abcdefghij" }}|{{ abbrevboth 10 7 "abcdefghijklmnopqrstuvwxyz" }}|{{ abbrevboth 20 7 "abcdefghijklmnopqrstuvwxyz" }}|{{ abbrevboth 3 10 "short" }}|{{ abbrevboth 4 10 "" }}`],
    ["abbrevboth-bytes", `{{ abbrevboth 5 8 "ééééééééééé" | b64enc }}`],
    ["chunk", `{{ chunk 2 (list 1 2 3 4 5) | toJson }} {{ mustChunk 3 (list 1 2 3) | toJson }} {{ mustChunk 2 list | toJson }} {{ mustChunk 4 (splitList "," "a,b") | toJson }}`],
    ["mustChunk-type", `{{ mustChunk 2 "abc" }}`],
    ["mustChunk-map", `{{ mustChunk 2 (dict "a" 1) }}`],
    ["chunk-zero", `{{ chunk 0 (list 1 2) }}`],
    ["mustMerge", `{{ $d := dict "a" 1 "b" (dict "x" 1) }}{{ mustMerge $d (dict "a" 2 "c" 3 "b" (dict "y" 2)) | toJson }} {{ mustMergeOverwrite (dict "a" 1 "b" "") (dict "a" 2 "b" "x") (dict "a" 3) | toJson }}`],
    ["mustMerge-nil", `{{ mustMerge nil (dict "a" 1) | toJson }}`],
    ["randInt-range", `{{ $ok := true }}{{ range until 200 }}{{ $n := randInt 3 7 }}{{ if or (lt $n 3) (ge $n 7) }}{{ $ok = false }}{{ end }}{{ end }}{{ $ok }} {{ randInt 5 6 }} {{ randInt -3 -2 }} {{ randInt 1 2 | typeOf }}`],
    ["randInt-empty-range", `{{ randInt 5 5 }}`],
    ["shuffle-properties", `{{ shuffle "" }}|{{ shuffle "a" }}|{{ shuffle "héllo" | len }}|{{ shuffle "aaaa" }}|{{ shuffle "abcdef" | splitList "" | sortAlpha | join "" }}`],
  ];
  for (const [id, tpl] of T) add(id, tpl, { f: 2.5, n: 3 });
  return out;
}
