pread -a -a
mw 4095 4095 0 -1 -rw
truncate
stat 4095 1kk 8k