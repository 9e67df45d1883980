# The command line of `shmring` as its --help tells it, for the checks of the man page and the
# completion scripts (sourced by check_man_page.sh and check_completion.sh).
#
# cli_help_walk BIN prints one record per line, fields separated by '|', for `BIN --help` and,
# recursively, `BIN COMMAND... --help` of every command listed under SUBCOMMANDS:
#   C PATH          a command ("" for BIN itself, "create pipe" for a subcommand of create)
#   S PATH WORD     WORD is a subcommand of PATH
#   O PATH OPTION   an option of PATH, long or short (-h and --help left out)
#   E PATH MESSAGE  `BIN PATH --help` failed
# The help is read as CLI11 prints it, with as little layout as possible: a section title is an
# unindented line ending in ':'; subcommands are the first word of the indented lines under
# SUBCOMMANDS; options are the leading dash words of indented lines ("-0,--null", "-0, --null").

cli_help_subcommands() {
    awk '
        /^[^[:space:]].*:[[:space:]]*$/ { on = (tolower($0) ~ /^subcommands:/); next }
        /^[^[:space:]]/ || /^[[:space:]]*$/ { on = 0; next }
        on { print $1 }'
}

cli_help_options() {
    awk '
        /^[^[:space:]].*:[[:space:]]*$/ { subcommands = (tolower($0) ~ /^subcommands:/); next }
        subcommands { next }
        /^[[:space:]]+-/ {
            # Names go on while a word ends with a comma.
            for (i = 1; i <= NF && $i ~ /^-/; ++i) {
                n = split($i, names, ",")
                for (j = 1; j <= n; ++j)
                    if (names[j] ~ /^--?[A-Za-z0-9][A-Za-z0-9_-]*$/ && names[j] != "-h" && names[j] != "--help")
                        print names[j]
                if ($i !~ /,$/) break
            }
        }'
}

cli_help_walk() {
    local bin=$1
    shift
    local path="$*" help word
    if ! help=$("$bin" "$@" --help 2>&1 </dev/null); then
        printf 'E|%s|%s\n' "$path" "${help%%$'\n'*}"
        return
    fi
    printf 'C|%s\n' "$path"
    while read -r word; do
        printf 'O|%s|%s\n' "$path" "$word"
    done < <(cli_help_options <<<"$help" | sort -u)
    (($# < 4)) || return 0
    while read -r word; do
        printf 'S|%s|%s\n' "$path" "$word"
        cli_help_walk "$bin" "$@" "$word"
    done < <(cli_help_subcommands <<<"$help")
}
