#!/usr/bin/env bash
# A fresh machine, as near as one can get on this one: a clone of HEAD in a temp folder, an empty HOME and an empty
# npm cache, a clean environment (PATH, LANG, CI only), then the README's set-up block run line by line exactly
# as written (read from README.md, so the two cannot drift). Ends with one line "N passed, N failed".
#   scripts/fresh-machine.sh             clone HEAD (committed work only) and run there; the clone is removed
#   scripts/fresh-machine.sh --in-place  run in this checkout (.ci/run: CI's checkout is already a fresh clone)
# Never: read or write the real HOME or npm cache; the README's own commands are the only set-up.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/plasmite-fresh-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# mktemp makes it 0700: the tests that run pls as another user (nobody) must reach the clone, as in any checkout
chmod 755 "$scratch"

if [ "${1:-}" = "--in-place" ]; then
  checkout=$repo
else
  checkout=$scratch/plasmite
  rev=$(git -C "$repo" rev-parse HEAD)
  git clone --quiet "$repo" "$checkout" && git -C "$checkout" checkout --quiet "$rev" || {
    echo "could not clone $repo at $rev"; echo "0 passed, 1 failed"; exit 1; }
  echo "== fresh clone of $rev in $checkout"
fi
mkdir -p "$scratch/home" "$scratch/npm-cache"

# The README's set-up: the first ```sh block after the "## Set-up" heading.
setup=$(awk '/^## Set-up/ { found = 1; next } found && /^```/ { if (inside) exit; inside = 1; next } inside' "$checkout/README.md")
if [ -z "$setup" ]; then
  echo "README.md has no set-up block (a \`\`\`sh block under a '## Set-up' heading)"; echo "0 passed, 1 failed"; exit 1
fi

log=$scratch/log
start_s=$SECONDS
status=0
while IFS= read -r line; do
  case "$line" in "" | "#"*) continue ;; esac
  echo "== \$ $line"
  line_start_s=$SECONDS
  (cd "$checkout" && env -i PATH="$PATH" LANG="${LANG:-C.UTF-8}" ${CI:+CI="$CI"} \
    HOME="$scratch/home" npm_config_cache="$scratch/npm-cache" bash -c "$line" </dev/null) 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
  echo "== exit $status after $((SECONDS - line_start_s)) s"
  [ "$status" -eq 0 ] || break
done <<<"$setup"

# bun test closes with " N pass" and " N fail" lines; a failure before any test ran counts as one failed test.
passed=$(grep -E '^ *[0-9]+ pass$' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
failed=$(grep -E '^ *[0-9]+ fail$' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
# CI keeps only the end of the output: repeat what each failed test printed (bun prints it just above the test's
# "(fail)" line, after the previous test's line, far up the log), so the reason is seen beside the totals.
if [ "$failed" -gt 0 ]; then
  echo "== what the failed tests printed"
  awk '/^\(fail\)/ && !summary { for (i = (n > 40 ? n - 40 : 0); i < n; i++) print ring[i % 40]; print; print "--"; n = 0; next }
       /^\(pass\)/ { n = 0; next } /tests failed:$/ { summary = 1 } { ring[n % 40] = $0; n++ }' "$log" | tail -200
fi
echo "== README set-up and tests: exit $status in $((SECONDS - start_s)) s"
echo "${passed} passed, ${failed} failed"
exit "$status"
