# nfcapd.sh - run nfcapd (nfdump 1.7) as a test collector; source it after
# lib.sh:
#
#	. "$here/lib.sh"
#	. "$here/nfcapd.sh"
#
# Functions:
#   nfcapd_start NAME PORT  starts nfcapd on 127.0.0.1:PORT (UDP, NetFlow
#                           v5/v9 and IPFIX), storing into $tmp/NAME, its
#                           output in $tmp/NAME.log; returns once it is
#                           listening; stopped at exit if still running
#   nfcapd_stop NAME [ipfix]
#                           stops it (SIGTERM: it writes its last file)
#                           and fails the test (exit 1) if its log shows a
#                           decoding error, a sequence error or a bad
#                           packet; with "ipfix", sequence errors are let
#                           pass: nfdump 1.7 counts IPFIX sequence numbers
#                           without the options records the RFC counts
# Several may run at once, by NAME. POSIX sh.

# nfcapd_start NAME PORT
nfcapd_start() {
	mkdir -p "$tmp/$1" || exit 99
	# -B: a big socket buffer, so a burst at exit is not dropped.
	nfcapd -b 127.0.0.1 -p "$2" -w "$tmp/$1" -t 3600 -B 8000000 \
	    >"$tmp/$1.log" 2>&1 &
	eval "_nfc_pid_$1=$!"
	at_exit "kill $! 2>/dev/null"
	_nfc_i=0
	# "Startup" comes once the socket is bound.
	while ! grep -q "Startup" "$tmp/$1.log" 2>/dev/null; do
		_nfc_i=$((_nfc_i + 1))
		if [ $_nfc_i -gt 100 ]; then
			echo "ERROR: nfcapd did not start on port $2:"
			cat "$tmp/$1.log"
			exit 99
		fi
		sleep 0.1
	done
}

# nfcapd_stop NAME [ipfix]
nfcapd_stop() {
	eval "_nfc_pid=\$_nfc_pid_$1"
	# nfcapd stops reading at SIGTERM: datagrams still in its socket
	# buffer would be lost. Let it take what the probe sent.
	sleep 0.5
	kill -TERM "$_nfc_pid" 2>/dev/null
	wait "$_nfc_pid"
	# The last line of nfcapd 1.7 sums up the run:
	# "Ident: 'none' Flows: 68, ..., Sequence Errors: 0, Bad Packets: 0"
	_nfc_sum="Sequence Errors: 0, Bad Packets: 0"
	[ "${2:-}" = ipfix ] && _nfc_sum="Bad Packets: 0"
	if ! grep -q "$_nfc_sum" "$tmp/$1.log" ||
	    grep -v "Ident:" "$tmp/$1.log" |
	    grep -q -i -E "error|invalid|corrupt|skip|fail|extra bytes"; then
		echo "FAIL: nfcapd '$1' reports problems:"
		cat "$tmp/$1.log"
		exit 1
	fi
	grep "Ident:" "$tmp/$1.log"
}
