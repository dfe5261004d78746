#!/usr/bin/env bash
# Progress for long Go builds: how many packages are compiled of how many, with an estimate.
# Sourced by build-control-plane.sh and build-tools.sh:
#   go_with_progress LABEL build|install [go flags and packages...]
# runs `go <build|install> -v ...` after counting the packages it will compile with `go ... -n`
# (the same command with nothing run: one `compile -o` line per package not in the build cache),
# and prints one line on stderr at every 10% and at least every 30 s, e.g.
#   [control-plane] kube-apiserver: 1015/2029 packages compiled (50%), 2m10s so far, about 2m10s left
# Other lines go prints (errors, "go: downloading ...") pass through unchanged.
# Run directly, `go-progress.sh --reader LABEL TOTAL` is the line reader alone (for its tests):
# package names on stdin, progress on stderr. GO_PROGRESS_EVERY_S changes the 30 s.

go_progress_duration() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# go_progress_reader LABEL TOTAL: reads `go -v` output on stdin.
go_progress_reader() {
  local label="$1" total="$2" every="${GO_PROGRESS_EVERY_S:-30}"
  local done=0 start=$SECONDS last_report=$SECONDS last_tenth=0 line status
  # report periodic|step|final: one progress line (periodic: the 30 s one, while go still runs).
  report() {
    local elapsed=$((SECONDS - start)) text
    if [[ "$1" == periodic ]] && ((done >= total)); then
      # Everything counted is compiled (or nothing was to be): go is linking.
      text="linking, $(go_progress_duration "$elapsed") so far"
      ((total > 0)) && text="all $total packages compiled; $text"
    elif ((total > 0)); then
      local shown=$((done < total ? done : total))
      text="$shown/$total packages compiled ($((shown * 100 / total))%), $(go_progress_duration "$elapsed") so far"
      # The estimate assumes the rest compiles at the pace so far (packages differ in size: roughly).
      if ((shown * 20 >= total && shown < total && elapsed >= 10)); then
        text+=", about $(go_progress_duration $((elapsed * (total - shown) / shown))) left"
      fi
    else
      text="$done packages compiled, $(go_progress_duration "$elapsed") so far"
    fi
    echo "$label $text" >&2
    last_report=$SECONDS
  }
  while :; do
    if IFS= read -r -t 5 line; then
      if [[ "$line" =~ ^[A-Za-z0-9][A-Za-z0-9._~/+-]*$ ]]; then
        done=$((done + 1))
        if ((total > 0 && done <= total && done * 10 / total > last_tenth)); then
          last_tenth=$((done * 10 / total))
          report step
          continue
        fi
      else
        echo "$line" >&2
      fi
    else
      status=$?
      # read -t returns above 128 on a timeout; anything else is the end of the input.
      if ((status <= 128)); then break; fi
    fi
    if ((SECONDS - last_report >= every)); then report periodic; fi
  done
  # The last line says where it ended, unless the 100% line just did (or nothing was compiled).
  if ((done != total)); then report final; fi
}

# go_with_progress LABEL SUBCOMMAND ARGS...: `go SUBCOMMAND -v ARGS...` with progress lines.
go_with_progress() {
  local label="$1" sub="$2"
  shift 2
  local total
  # Module downloads happen in this first pass: their lines go through, the rest is only counted.
  total=$(go "$sub" -n "$@" 2>&1 | awk '/\/compile -o /{n++} /^go: downloading /{print > "/dev/stderr"} END{print n+0}')
  if ((total > 0)); then echo "$label $total packages to compile" >&2; else echo "$label nothing to compile (every package is in the Go build cache); linking" >&2; fi
  go "$sub" -v "$@" 2>&1 | go_progress_reader "$label" "$total"
  return "${PIPESTATUS[0]}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  if [[ "${1:-}" != "--reader" || $# -ne 3 ]]; then
    echo "usage: $0 --reader LABEL TOTAL   (package names on stdin)" >&2
    exit 2
  fi
  go_progress_reader "$2" "$3"
fi
