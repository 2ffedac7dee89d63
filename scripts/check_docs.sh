#!/usr/bin/env bash
# Checks the relative links of README.md and docs/*.md: every linked file
# exists, and every #anchor names a heading (GitHub's slug of it) or an
# <a id="..."> of the linked Markdown file. External links are not fetched.
#
# usage: scripts/check_docs.sh [FILE.md...]    (default: README.md docs/*.md)
set -euo pipefail
cd "$(dirname "$0")/.."

# The anchors a Markdown file offers: GitHub's heading slugs (lowercased,
# punctuation dropped, spaces to hyphens, "-1", "-2"... for repeats) and
# explicit <a id="..."> / <a name="...">. Fenced code blocks hold no headings.
anchors_of() {
    awk '
        /^```/ { fenced = !fenced; next }
        fenced { next }
        /^#+[ \t]/ {
            text = $0
            sub(/^#+[ \t]+/, "", text)
            sub(/[ \t]+#*[ \t]*$/, "", text)
            slug = tolower(text)
            gsub(/[^a-z0-9 _-]/, "", slug)
            gsub(/ /, "-", slug)
            if (slug in seen) { seen[slug]++; print slug "-" seen[slug] } else { seen[slug] = 0; print slug }
        }
        {
            line = $0
            while (match(line, /<a (id|name)="[^"]*"/)) {
                anchor = substr(line, RSTART, RLENGTH)
                sub(/^<a (id|name)="/, "", anchor)
                sub(/"$/, "", anchor)
                print anchor
                line = substr(line, RSTART + RLENGTH)
            }
        }
    ' "$1"
}

# "LINE<TAB>TARGET" for every inline link ](TARGET) outside fenced code blocks
# and code spans.
links_of() {
    awk '
        /^```/ { fenced = !fenced; next }
        fenced { next }
        {
            line = $0
            gsub(/`[^`]*`/, "", line)
            while (match(line, /\]\([^)]*\)/)) {
                target = substr(line, RSTART + 2, RLENGTH - 3)
                print NR "\t" target
                line = substr(line, RSTART + RLENGTH)
            }
        }
    ' "$1"
}

if [[ $# -gt 0 ]]; then files=("$@"); else files=(README.md docs/*.md); fi
problems=0
for file in "${files[@]}"; do
    dir=$(dirname "$file")
    while IFS=$'\t' read -r line target; do
        case $target in
            http://* | https://* | mailto:*) continue ;;
        esac
        path=${target%%#*}
        anchor=
        [[ $target == *'#'* ]] && anchor=${target#*#}
        linked=$file
        [[ -n $path ]] && linked=$dir/$path
        if [[ ! -e $linked ]]; then
            echo "$file:$line: link to \"$target\": no such file \"$linked\"" >&2
            problems=$((problems + 1))
            continue
        fi
        if [[ -n $anchor ]]; then
            if [[ $linked != *.md ]]; then
                echo "$file:$line: link to \"$target\": an anchor into a file that is not Markdown" >&2
                problems=$((problems + 1))
            elif ! anchors_of "$linked" | grep -qxF -- "$anchor"; then
                echo "$file:$line: link to \"$target\": no heading \"#$anchor\" in \"$linked\"" >&2
                problems=$((problems + 1))
            fi
        fi
    done < <(links_of "$file")
done

# Hints and comments in the code that send the reader to docs/FILE.md#anchor.
if [[ $# -eq 0 ]]; then
    while IFS=: read -r source line reference; do
        path=${reference%%#*}
        anchor=
        [[ $reference == *'#'* ]] && anchor=${reference#*#}
        if [[ ! -e $path ]]; then
            echo "$source:$line: refers to \"$reference\": no such file" >&2
            problems=$((problems + 1))
        elif [[ -n $anchor ]] && ! anchors_of "$path" | grep -qxF -- "$anchor"; then
            echo "$source:$line: refers to \"$reference\": no heading \"#$anchor\" in \"$path\"" >&2
            problems=$((problems + 1))
        fi
    done < <(grep -rnoE 'docs/[A-Za-z0-9_.-]+\.md(#[A-Za-z0-9_-]+)?' src tests scripts bench demo fuzz .ci 2>/dev/null |
        grep -v '^scripts/check_docs.sh:')
fi

if [[ $problems -gt 0 ]]; then
    echo "check_docs: $problems broken link(s)" >&2
    echo "HINT: fix the link, or the heading it points at (anchors are GitHub's heading slugs)." >&2
    exit 1
fi
echo "check_docs: every relative link and anchor in ${#files[@]} file(s) resolves"
