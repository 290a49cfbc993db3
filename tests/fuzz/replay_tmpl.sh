#!/bin/sh
# replay_tmpl.sh - runs fuzz_tmpl.c over its stored corpus
# (tests/fuzz/corpus/tmpl): any crash, sanitizer report or broken invariant
# (abort) fails.
exec ./tests/fuzz/replay_tmpl "${srcdir:-.}/tests/fuzz/corpus/tmpl"
