falloc -s -k 7
madvise 0xcd 4095 1e -s
truncate 7
open 256 -r 0x1000 -b