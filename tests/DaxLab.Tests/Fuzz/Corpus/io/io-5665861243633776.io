fpunch -q 4097 \ 1kk
quit -b
r
q
mwrite
mmap 18446744073709551616 0 0x1000 -V
mmap 4096.5 ' 1
q -B -f