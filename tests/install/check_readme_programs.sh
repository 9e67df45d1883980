#!/usr/bin/env bash
# Compiles and links every complete program of a Markdown file (a ```c or ```cpp block with a main
# function), so that the examples stay true to the API:
#
#   check_readme_programs.sh README.md --c <C compiler> <flags>... --cpp <C++ compiler> <flags>...
#
# Each compiler gets the program first, then the flags and libraries given.
set -euo pipefail
readme=$1
shift
language=
c_command=()
cpp_command=()
for argument in "$@"; do
    case $argument in
    --c | --cpp) language=${argument#--} ;;
    *) if [ "$language" = c ]; then c_command+=("$argument"); else cpp_command+=("$argument"); fi ;;
    esac
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# One file per block, named after the README line where its code starts.
awk -v dir="$scratch" '
    /^```(c|cpp)$/ { file = sprintf("%s/line_%d.%s", dir, NR + 1, substr($0, 4)); next }
    /^```/ && file { close(file); file = ""; next }
    file { print > file }' "$readme"

compiled=()
failed=0
for program in "$scratch"/line_*; do
    grep -q 'int main' "$program" || continue
    name=$(basename "$program")
    line=${name//[!0-9]/}
    if [ "${program##*.}" = c ]; then command=("${c_command[@]}"); else command=("${cpp_command[@]}"); fi
    if "${command[0]}" "$program" "${command[@]:1}" -o "$scratch/program"; then
        compiled+=("${program##*.}")
    else
        echo "$readme:$line: this program does not compile (its line 1 is that line)"
        failed=1
    fi
done
for language in c cpp; do
    if [[ " ${compiled[*]} " != *" $language "* ]] && [ $failed -eq 0 ]; then
        echo "$readme: no $language program compiled: the check found nothing to check"
        failed=1
    fi
done
[ $failed -eq 0 ] && echo "${#compiled[@]} programs of $readme compile"
exit $failed
