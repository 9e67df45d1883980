# bash completion for shmring(1): commands, subcommands, options, the values of --engine and
# --policy, ring names where a command takes NAME (cells, locks and semaphores are named as
# rings are), and commands after `serve NAME --` and `lock NAME --`.
#
# Ring names come from the objects /dev/shm/shmring.NAME, listed here rather than asked of
# `shmring ls`, which would read every ring. Bridge state objects (/dev/shm/shmring-bridge-*) are
# not rings and never match that pattern.
#
# shellcheck disable=SC2207  # COMPREPLY=($(compgen ...)): ring names, commands and options hold
# no blanks, and _shmring_files splits file names on newlines only.

_shmring_commands="ls stat watch top metrics exporter create rm gc write read send recv publish subscribe call serve cell lock sem bridge completion"

# The options of a command ("create pipe", "bridge send", "ls", ...).
_shmring_options() {
    local options
    case $1 in
        '') options="--version -V" ;;
        ls) options="--json --interval" ;;
        stat) options="--json" ;;
        watch | top) options="--interval --count --json" ;;
        metrics) options="--openmetrics" ;;
        exporter) options="--listen --textfile --interval --once" ;;
        'create pipe') options="--capacity --mode --json" ;;
        'create queue') options="--messages --message-size --engine --mode --json" ;;
        'create topic') options="--messages --message-size --policy --mode --json" ;;
        'create service') options="--pending --request-size --response-size --mode --json" ;;
        'create cell') options="--max-size --mode --json" ;;
        'create lock') options="--mode --json" ;;
        'create semaphore') options="--initial --maximum --mode --json" ;;
        rm) options="--json" ;;
        gc) options="--dry-run --json" ;;
        send | publish) options="--timeout --nonblock --null -0" ;;
        recv) options="--count --timeout --null -0 --json" ;;
        subscribe) options="--from-oldest --count --timeout --null -0 --json" ;;
        call) options="--timeout --json" ;;
        serve) options="--count" ;;
        'cell read' | 'sem value') options="--json" ;;
        'cell watch') options="--count --json" ;;
        lock | 'sem wait') options="--timeout --nonblock" ;;
        'sem post') options="--count" ;;
        'bridge send') options="--to --plain --curve-key --server-key --heartbeat --window" ;;
        'bridge recv') options="--listen --plain --curve-key --allow --heartbeat --mode" ;;
        'bridge status') options="--json" ;;
    esac
    echo "$options --help -h"
}

# Whether option $1 takes a value (the next word).
_shmring_takes_value() {
    case $1 in
        --interval | --count | --capacity | --mode | --messages | --message-size | --pending | \
            --request-size | --response-size | --timeout | --to | --listen | --textfile | --heartbeat | \
            --window | --curve-key | --server-key | --allow | --engine | --policy | --max-size | --initial | \
            --maximum) return 0 ;;
    esac
    return 1
}

_shmring_ring_names() {
    local path names=()
    while IFS= read -r path; do
        path=${path#/dev/shm/shmring.}
        [[ $path =~ ^[A-Za-z0-9._-]{1,200}$ ]] && names+=("$path")
    done < <(compgen -G '/dev/shm/shmring.*')
    compgen -W "${names[*]}" -- "$1"
}

_shmring_files() {
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen "${@:2}" -- "$1"))
}

_shmring() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    ((COMP_CWORD >= 2)) && [[ $prev == = ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}
    [[ $cur == = ]] && cur=""
    COMPREPLY=()

    # The command, its subcommand, how many operands it has, and where `--` starts the command of
    # serve or lock.
    local cmd="" sub="" operands=0 dashdash=0 word i
    for ((i = 1; i < COMP_CWORD; ++i)); do
        word=${COMP_WORDS[i]}
        if ((dashdash)); then
            ((++dashdash))
            continue
        fi
        case $word in
            --) [[ $cmd == @(serve|lock) ]] && dashdash=1 ;;
            -*)
                if _shmring_takes_value "$word"; then
                    # The value, and what the shell split it into at '=' and ':' (tcp://host:port).
                    [[ ${COMP_WORDS[i + 1]} == = ]] && ((++i))
                    ((++i))
                    while ((i + 1 < COMP_CWORD)) && [[ ${COMP_WORDS[i + 1]} == :* || ${COMP_WORDS[i]} == *: ]]; do
                        ((++i))
                    done
                fi
                ;;
            *)
                if [[ -z $cmd ]]; then
                    cmd=$word
                elif [[ -z $sub && $cmd == @(create|cell|sem|bridge|completion) ]]; then
                    sub=$word
                else
                    ((++operands))
                fi
                ;;
        esac
    done

    if ((dashdash == 1)); then
        COMPREPLY=($(compgen -c -- "$cur" | sort -u))
        return
    elif ((dashdash > 1)); then
        _shmring_files "$cur" -f
        return
    fi

    case $prev in
        --engine) COMPREPLY=($(compgen -W "spsc mpmc" -- "$cur")); return ;;
        --policy) COMPREPLY=($(compgen -W "lossless lossy" -- "$cur")); return ;;
        --curve-key | --server-key | --allow) _shmring_files "$cur" -f; return ;;
        --textfile) _shmring_files "$cur" -d; return ;;
    esac
    _shmring_takes_value "$prev" && return

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$(_shmring_options '')" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_shmring_commands" -- "$cur"))
        fi
        return
    fi

    if [[ -z $sub ]]; then
        local subcommands=""
        case $cmd in
            create) subcommands="pipe queue topic service cell lock semaphore" ;;
            cell) subcommands="read write watch" ;;
            sem) subcommands="post wait value" ;;
            bridge) subcommands="send recv keygen status" ;;
            completion) subcommands="bash zsh" ;;
        esac
        if [[ -n $subcommands ]]; then
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--help -h" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
            fi
            return
        fi
    fi

    local command="$cmd${sub:+ $sub}"
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_shmring_options "$command")" -- "$cur"))
        return
    fi

    case $command in
        metrics | exporter | rm | gc)
            COMPREPLY=($(_shmring_ring_names "$cur")) ;;
        stat | watch | write | read | send | recv | publish | subscribe | call | serve | lock | \
            'cell read' | 'cell write' | 'cell watch' | 'sem post' | 'sem wait' | 'sem value' | \
            'bridge send' | 'bridge recv' | 'bridge status')
            ((operands == 0)) && COMPREPLY=($(_shmring_ring_names "$cur")) ;;
        'bridge keygen')
            ((operands == 0)) && _shmring_files "$cur" -f ;;
    esac
}

complete -F _shmring shmring
