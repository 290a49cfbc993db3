#!/bin/sh
# replay_pcapfile.sh - runs fuzz_pcapfile.c (the classic pcap record walker
# against libpcap) over its stored corpus (tests/fuzz/corpus/pcapfile):
# any crash, sanitizer report or disagreement (abort) fails.
exec ./tests/fuzz/replay_pcapfile "${srcdir:-.}/tests/fuzz/corpus/pcapfile"
