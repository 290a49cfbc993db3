#!/bin/sh
# replay_capture.sh - runs fuzz_capture.c over its stored corpus
# (tests/fuzz/corpus/capture): any crash, sanitizer report or broken invariant
# (abort) fails.
exec ./tests/fuzz/replay_capture "${srcdir:-.}/tests/fuzz/corpus/capture"
