#!/bin/sh
# replay_conf.sh - runs fuzz_conf.c over its stored corpus
# (tests/fuzz/corpus/conf): any crash, sanitizer report or broken invariant
# (abort) fails.
exec ./tests/fuzz/replay_conf "${srcdir:-.}/tests/fuzz/corpus/conf"
