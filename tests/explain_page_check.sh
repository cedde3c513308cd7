#!/usr/bin/env bash
# CTest: `harvey explain FINDING --boundary B --html PAGE` must tell the story
# (exit 1: the finding reproduces) and write a page that headless Chromium
# renders with its script run (the page sets data-harvey-rendered="ok" on
# <body> as its script's last act), no "Uncaught" JavaScript error, swim-lane
# boxes in the DOM and a non-empty screenshot. Before trusting the check, it
# plants a script error in a copy of the page and must see it caught.
#
# usage: explain_page_check.sh HARVEY FINDING BOUNDARY SHOT_DIR NAME
# Exit 77 (CTest SKIP_RETURN_CODE) with the reason when chromium or the
# boundary is missing here.
set -uo pipefail
harvey=$1 finding=$2 boundary=$3 shot_dir=$4 name=$5
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$chromium" ]]; then
  echo "SKIP: chromium is not installed (ci/setup installs Debian's chromium)"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/harvey-explain-page.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$harvey" explain "$finding" --boundary "$boundary" --html "$work/page.html" >"$work/story.txt" 2>"$work/stderr.txt"
rc=$?
cat "$work/story.txt"
if [[ $rc == 3 ]]; then
  echo "SKIP: boundary $boundary is not available here: $(tail -1 "$work/stderr.txt")"
  exit 77
fi
[[ $rc == 1 ]] || { cat "$work/stderr.txt"; fail "harvey explain exited $rc, want 1 (the finding reproduces)"; }
for want in "Step by step" "Where reality left the model" "What it means for an application" "Replay: harvey run"; do
  grep -qF "$want" "$work/story.txt" || fail "the story lacks '$want'"
done
[[ -s "$work/page.html" ]] || fail "no page written"
if grep -Eq '(src|href)="(https?:)?//' "$work/page.html"; then fail "the page fetches something from the network"; fi

# Renders PAGE; DOM on stdout, Chromium's log in $work/log.
render() {
  local profile
  profile=$(mktemp -d "$work/profile.XXXXXX")
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 "$@" 2>>"$work/log"
}
# PAGE is good: the script ran without error, lanes drawn, no uncaught error.
page_ok() {
  : >"$work/log"
  render --dump-dom "file://$1" >"$work/dom.html"
  grep -q 'data-harvey-rendered="ok"' "$work/dom.html" || { echo "marker not set: the page's script did not run to its end"; return 1; }
  grep -q 'class="step ' "$work/dom.html" || { echo "no step boxes in the DOM"; return 1; }
  if grep -q "Uncaught" "$work/log"; then grep "Uncaught" "$work/log"; return 1; fi
  return 0
}

# The check must catch a broken script first.
sed 's/document.body.setAttribute/document.bodyy.setAttribute/' "$work/page.html" >"$work/broken.html"
if page_ok "$work/broken.html" >/dev/null; then fail "the check accepted a page whose script throws"; fi
grep -q "Uncaught" "$work/log" || echo "note: chromium's log did not name the planted error (the marker check caught it)"

why=$(page_ok "$work/page.html") || fail "page rejected: $why"
mkdir -p "$shot_dir"
render --screenshot="$shot_dir/$name.png" --window-size=1400,2000 --hide-scrollbars "file://$work/page.html" >/dev/null
[[ -s "$shot_dir/$name.png" ]] || fail "no screenshot"
cp "$work/page.html" "$shot_dir/$name.html"
echo "PASS: $name: page rendered by $("$chromium" --version 2>/dev/null), screenshot $shot_dir/$name.png"
