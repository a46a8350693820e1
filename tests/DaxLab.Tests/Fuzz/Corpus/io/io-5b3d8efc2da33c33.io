bmap 3m -rw 255 -d 9223372036854775808
mr 1e 0x1000 2m -w
? 64k 1 512
t -r 0x 010
msync \ 8k 9223372036854775808 1 256
close -i -4096 -q 3m
print -B -R -l