#!/bin/sh
# Replays every fuzz target over the test inputs (testdata/ and tests/fuzz/corpus/).
set -u
: "${FUZZ_DIR:?}" "${TOP_SRCDIR:?}"
status=0
for target in fuzz_csv fuzz_x12 fuzz_code fuzz_xml; do
	echo "replaying $target"
	${DC_WRAP:-} "$FUZZ_DIR/$target" "$TOP_SRCDIR/testdata" "$TOP_SRCDIR/tests/fuzz/corpus" ||
		status=1
done
exit $status
