madvise 0x1000 g -Z -a 3m
falloc -v -4096 8k