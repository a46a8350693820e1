fiemap -a -b
pread -w
falloc
ds f -s é -v -S
fzero -w 0 " 4095 -a
quit 010 0xcd -q 4095
bmap 9223372036854775807
t 18446744073709551616 0x 4095 64k