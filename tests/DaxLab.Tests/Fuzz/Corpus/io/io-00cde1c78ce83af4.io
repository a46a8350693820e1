?
mmap 4096 -F 256 512 1kk