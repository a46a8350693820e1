bmap
mmap 18446744073709551616 -n 1kk "
bmap 9223372036854775807 -R -- -q -V
t
open -s 4095
? -a 0x1000 -z
c -i 255 -a