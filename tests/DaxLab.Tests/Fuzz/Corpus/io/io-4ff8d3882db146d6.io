mm f 0x f -W -B
madvise g -k f