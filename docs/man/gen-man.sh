#!/usr/bin/env bash
# Writes vcrun.8 and one vcrun-VERB.8 per verb into OUTDIR, generated with help2man from
# the help of the built binary, so the pages always describe the CLI they ship with. The
# verbs are read from `vcrun --help`. Usage: gen-man.sh VCRUN OUTDIR VERSION
set -euo pipefail
vcrun=$1 out=$2 version=$3
mkdir -p "$out"
rm -f "$out"/*.8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The date in the page footer: the source's, not the build's, for reproducible builds.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
[ "$SOURCE_DATE_EPOCH" != 0 ] || unset SOURCE_DATE_EPOCH

verbs=$("$vcrun" --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$verbs" ] || { echo "gen-man.sh: no verbs in '$vcrun --help'" >&2; exit 1; }

see_also() {  # the other pages, as a [SEE ALSO] section for help2man --include
  local self=$1 v refs=()
  [ "$self" = vcrun ] || refs+=("\\fBvcrun\\fR(8)")
  for v in $verbs; do [ "vcrun-$v" = "$self" ] || refs+=("\\fBvcrun-$v\\fR(8)"); done
  printf '[SEE ALSO]\n'
  (IFS=,; printf '%s\n' "${refs[*]}" | sed 's/,/, /g')
}

page() {  # page NAME PROGRAM DESCRIPTION
  local name=$1 prog=$2 desc=$3 upper
  see_also "$name" >"$tmp/$name.h2m"
  help2man --no-info --section=8 --source="vcrun $version" --version-string="vcrun $version" \
    --manual="vcrun manual" --name="$desc" --include="$tmp/$name.h2m" -o "$tmp/$name.8" "$prog"
  upper=$(tr a-z A-Z <<<"$name")
  # help2man names the page after the program's first word (vcrun): give a verb's page
  # its own name, as vcrun-create(8).
  sed -e "s/^\\.TH VCRUN /.TH ${upper//-/\\\\-} /" -e "/^\\.SH NAME/{n;s/^vcrun /${name//-/\\\\-} /}" \
    "$tmp/$name.8" >"$out/$name.8"
}

page vcrun "$vcrun" "daemonless OCI container runtime"
for v in $verbs; do
  printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$vcrun" "$v" >"$tmp/vcrun-$v"
  chmod +x "$tmp/vcrun-$v"
  desc=$("$vcrun" --help | sed -n "s/^  $v  *\\(.*\\)/\\1/p")
  page "vcrun-$v" "$tmp/vcrun-$v" "$desc"
done
