#!/usr/bin/env bash
# Checks that the bash completion offers what the command's --help shows.
#
#   check_completion.sh BIN COMPLETION_SCRIPT
#
# Fails, listing what is missing, unless the completion function, sourced from the script,
# offers every command of `BIN --help` after "shmring ", every subcommand after its command
# ("shmring create "), and every option of a command (-h/--help aside) after "shmring COMMAND -";
# and offers a ring, /dev/shm/shmring.NAME, as a NAME, but not a bridge's state object.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BIN COMPLETION_SCRIPT" >&2
    exit 2
fi
bin=$1
script=$2
source "$(dirname "${BASH_SOURCE[0]}")/cli_help.sh"

# What the completion offers for the words given, the last being the one completed, one per line.
# In a subshell, without this script's -eu: completion functions run in an interactive shell.
offered() {
    (
        set +eu
        source "$script" || exit 1
        COMP_WORDS=(shmring "$@")
        COMP_CWORD=$#
        COMP_LINE="${COMP_WORDS[*]}"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _shmring shmring "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\n' "${COMPREPLY[@]}"
    )
}

# Whether the completion offers $1 after the words that follow it.
offers() {
    local want=$1
    shift
    local list
    list=$(offered "$@")
    grep -Fxq -e "$want" <<<"$list"
}

missing=()
checks=0
while IFS='|' read -r kind path word; do
    words=()
    [[ -n $path ]] && read -ra words <<<"$path"
    case $kind in
        E) missing+=("'$bin${path:+ $path} --help' failed: $word") ;;
        S)
            checks=$((checks + 1))
            offers "$word" "${words[@]}" "" || missing+=("'$word' after 'shmring${path:+ $path} '")
            ;;
        O)
            checks=$((checks + 1))
            offers "$word" "${words[@]}" "-" || missing+=("'$word' after 'shmring${path:+ $path} -'")
            ;;
    esac
done < <(cli_help_walk "$bin")

# A ring, and a bridge's delivery journal, that nothing else uses.
name="check-completion.$$"
ring=/dev/shm/shmring.$name
journal=/dev/shm/shmring-bridge-recv.$name
trap 'rm -f "$ring" "$journal"' EXIT
: >"$ring"
: >"$journal"
for command in stat read "bridge status"; do
    read -ra words <<<"$command"
    checks=$((checks + 1))
    offers "$name" "${words[@]}" "" || missing+=("ring $name after 'shmring $command '")
    checks=$((checks + 1))
    offers "$name" "${words[@]}" "check-completion." || missing+=("ring $name after 'shmring $command check-completion.'")
    checks=$((checks + 1))
    [[ -z $(offered "${words[@]}" "" | grep -F -e "$name" | grep -Fvx -e "$name") ]] ||
        missing+=("the bridge journal $journal offered as a ring after 'shmring $command '")
done

if ((${#missing[@]} > 0)); then
    echo "$script does not offer what '$bin --help' shows:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi
echo "$script offers all $checks things checked against '$bin --help'"
