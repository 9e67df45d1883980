# The ABI of libshmring.so as abidw reads it from the debug info: the functions it exports and the
# types of shmring.h they use, nothing of the C++ code inside. Sourced by update-abi-baseline.sh
# and tests/install/check_abi.sh.

shmring_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# abi/<SONAME>.abi: each SONAME has one ABI (README, "ABI and SONAME").
shmring_abi_baseline() {
    local soname
    soname=$(readelf -d "$1" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    echo "$shmring_root/abi/$soname.abi"
}

# Writes the ABI of library $1 to stdout. Without debug info abidw still succeeds, but sees only
# the symbols' names and not their types: that returns 77 instead (the dev preset, RelWithDebInfo,
# always has debug info; the release preset has none). Locations are left out so that the
# baseline changes only when the ABI does.
shmring_abi_dump() {
    if ! readelf -S --wide "$1" | grep -q 'debug_info'; then
        echo "$1 has no debug info (a Release build?): the ABI needs the types of the dev preset's build" >&2
        return 77
    fi
    abidw --header-file "$shmring_root/adapters/include/shmring/shmring.h" --drop-private-types \
        --exported-interfaces-only --no-show-locs --short-locs --no-corpus-path --no-comp-dir-path "$1"
}
