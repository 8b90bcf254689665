"""The fsync count of ``make bench-peers`` reads the calls column of ``strace -c``, whether or
not a call failed (a blank errors column shifts nothing before it)."""

from bench.peers import sync_calls

SUMMARY = """% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 99.86    0.007584         133        57           fdatasync
  0.10    0.000011           3         3         1 syncfs
  0.04    0.000004           4         1           openat
------ ----------- ----------- --------- --------- ----------------
100.00    0.007595         126        61         1 total
"""


def test_sync_calls_reads_the_calls_column() -> None:
    assert sync_calls(SUMMARY) == 60
    assert sync_calls("") == 0
