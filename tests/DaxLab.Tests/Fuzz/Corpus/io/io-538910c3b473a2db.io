falloc -k 4097 -W 18446744073709551616
help 256 8k 0x1000
print
fpunch  "
mwrite -l -x 3m 3m -v
q -z -f
madvise 0xcd 4097 -- -x -B