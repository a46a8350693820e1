? -F
mmap f 1m -k -s
munmap 0 0 ' -i 8k