#!/usr/bin/env bash
# Checks that shmring.1 documents every command and every option that the command's --help shows.
#
#   check_man_page.sh BIN MANPAGE
#
# Fails, listing what is missing, unless the man page (its roff source read as text: `\-` is a
# hyphen, font escapes dropped) has
#   - every command as "shmring COMMAND..." (the SYNOPSIS lists them all), and
#   - every option of a command (long and short forms, but -h/--help) in that command's section,
#     the `.SS` whose title is the command's words (".SS create pipe"); the options of `shmring`
#     itself anywhere in the page.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BIN MANPAGE" >&2
    exit 2
fi
bin=$1
page=$2
source "$(dirname "${BASH_SOURCE[0]}")/cli_help.sh"

text=$(sed -e 's/\\-/-/g' -e 's/\\f\[[^]]*\]//g' -e 's/\\f([A-Za-z][A-Za-z]//g' -e 's/\\f[A-Za-z0-9]//g' \
    -e 's/\\&//g' -e 's/\\(aq/'"'"'/g' "$page")

# The text of the .SS section titled exactly "$1" (quotes and extra blanks in the title ignored).
section() {
    awk -v want="$1" '
        /^\.S[SH]([[:space:]]|$)/ {
            title = $0
            sub(/^\.S[SH][[:space:]]*/, "", title)
            gsub(/"/, "", title)
            gsub(/[[:space:]]+/, " ", title)
            sub(/ $/, "", title)
            on = ($1 == ".SS" && title == want)
            found = found || on
            next
        }
        on { print }
        END { if (!found) exit 1 }' <<<"$text"
}

# Whether the text on stdin has the extended regular expression $1 as a word of its own (no
# letter, digit, _ or - either side).
has_word() {
    grep -Eq -e "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)"
}

missing=()
commands=0
options=0
declare -A sections
while IFS='|' read -r kind path word; do
    case $kind in
        E) missing+=("'$bin${path:+ $path} --help' failed: $word") ;;
        C)
            [[ -z $path ]] && continue
            commands=$((commands + 1))
            has_word "shmring[[:space:]]+${path// /[[:space:]]+}" <<<"$text" || missing+=("command 'shmring $path' (in the SYNOPSIS)")
            ;;
        O)
            options=$((options + 1))
            if [[ -z $path ]]; then
                has_word "$word" <<<"$text" || missing+=("option $word of 'shmring'")
            elif [[ -v "sections[$path]" ]] || sections[$path]=$(section "$path"); then
                has_word "$word" <<<"${sections[$path]}" || missing+=("option $word of 'shmring $path'")
            else
                unset "sections[$path]"
                missing+=("section '.SS $path' for the option $word")
            fi
            ;;
    esac
done < <(cli_help_walk "$bin")

if ((${#missing[@]} > 0)); then
    echo "$page lacks what '$bin --help' shows:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi
echo "$page documents the $commands commands and $options options of '$bin --help'"
