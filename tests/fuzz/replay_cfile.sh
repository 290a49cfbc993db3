#!/bin/sh
# replay_cfile.sh - runs fuzz_cfile.c over its stored corpus
# (tests/fuzz/corpus/cfile): any crash, sanitizer report or broken invariant
# (abort) fails.
exec ./tests/fuzz/replay_cfile "${srcdir:-.}/tests/fuzz/corpus/cfile"
