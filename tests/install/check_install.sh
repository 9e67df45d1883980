#!/usr/bin/env bash
# Installs a build tree into a scratch prefix, then builds a program against the install as a user
# would, and runs it (each program checks what it receives and exits non-zero on a difference):
#
#   check_install.sh <build-dir> cmake-c            a C-only CMake project: shmring::shmring and shmring::shmring_static (consumer_c/)
#   check_install.sh <build-dir> cmake-cxx          a C++ CMake project: shmring::cxx (consumer_cxx/)
#   check_install.sh <build-dir> pkg-config         $CC with `pkg-config --cflags --libs shmring`
#   check_install.sh <build-dir> pkg-config-static  $CC -static with `pkg-config --cflags --static --libs shmring`
#   check_install.sh <build-dir> python             $PYTHON imports the installed package shmring and uses a queue
#   check_install.sh <build-dir> manuals            man finds shmring(1) and shmring(3) in the prefix; bash completes
#                                                   `shmring cr` from the installed completion
set -euo pipefail
build_dir=$1
check=$2
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix
cmake --install "$build_dir" --prefix "$prefix" >/dev/null

fail() {
    echo "$check: $*"
    exit 1
}

# The install directories are the build's GNUInstallDirs choices (lib or lib/<multiarch>): found, not assumed.
header=$(find "$prefix" -path '*/shmring/shmring.h')
version=$(sed -n 's/^#define SHMRING_VERSION_[A-Z]* \([0-9]*\)$/\1/p' "$header" | paste -sd.)
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name shmring.pc)")

cmake_consumer() {
    cmake -S "$here/$1" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DSHMRING_VERSION="${version%.*}" >/dev/null
    cmake --build "$scratch/build" >/dev/null
}

case $check in
cmake-c)
    cmake_consumer consumer_c
    "$scratch/build/consumer_c"
    "$scratch/build/consumer_c_static"
    ;;
cmake-cxx)
    cmake_consumer consumer_cxx
    "$scratch/build/consumer_cxx"
    ;;
pkg-config)
    [ "$(pkg-config --modversion shmring)" = "$version" ] ||
        fail "pkg-config --modversion says $(pkg-config --modversion shmring), shmring.h says $version"
    # shellcheck disable=SC2046 # pkg-config's output is a list of arguments
    "${CC:-cc}" "$here/consumer_c/main.c" $(pkg-config --cflags --libs shmring) -o "$scratch/app"
    readelf -d "$scratch/app" | grep -q 'NEEDED.*\[libshmring\.so' || fail "the program does not load libshmring.so"
    LD_LIBRARY_PATH=$(pkg-config --variable=libdir shmring) "$scratch/app"
    ;;
pkg-config-static)
    # shellcheck disable=SC2046 # as above
    "${CC:-cc}" -static "$here/consumer_c/main.c" $(pkg-config --cflags --static --libs shmring) -o "$scratch/app"
    if readelf -l "$scratch/app" | grep -q INTERP; then fail "the program is not fully static"; fi
    "$scratch/app"
    ;;
python)
    package=$(find "$prefix" -path '*-packages/shmring/__init__.py')
    [ -n "$package" ] || fail "no package shmring in a site-packages directory of the prefix"
    # From a scratch directory, so that only the installed package can be imported.
    (cd "$scratch" && PYTHONPATH=$(dirname "$(dirname "$package")") "${PYTHON:-python3}" -c '
import os, shmring
name = f"install-check-{os.getpid()}"
shmring.create_queue(name, 4, 64)
try:
    with shmring.Queue(name, "sender") as s, shmring.Queue(name, "receiver") as r:
        s.send(b"installed")
        assert r.receive(1) == b"installed"
    assert shmring.__file__.startswith(os.environ["PYTHONPATH"]), shmring.__file__
finally:
    shmring.unlink(name)
') || fail "the installed package does not work"
    ;;
manuals)
    for section in 1 3; do
        page=$(MANPATH="$prefix/share/man" man -w "$section" shmring 2>/dev/null) || fail "man finds no shmring($section) in the prefix"
        case $page in "$prefix"/*) ;; *) fail "man found shmring($section) outside the prefix: $page" ;; esac
        MANWIDTH=80 man -l "$page" 2>&1 | grep -q "^NAME" || fail "shmring($section) does not render"
    done
    completion=$prefix/share/bash-completion/completions/shmring
    [ -f "$completion" ] || fail "no bash completion at $completion"
    [ -f "$prefix/share/zsh/site-functions/_shmring" ] || fail "no zsh completion"
    words=$(bash -c 'source "$1"; COMP_WORDS=(shmring cr); COMP_CWORD=1; COMP_LINE="shmring cr"; COMP_POINT=10; _shmring; echo "${COMPREPLY[*]}"' _ "$completion")
    [ "$words" = create ] || fail "the installed completion offers '$words' for 'shmring cr'"
    ;;
*)
    fail "unknown check (cmake-c, cmake-cxx, pkg-config, pkg-config-static, python or manuals)"
    ;;
esac
