open -x -k -w 9223372036854775808 -V
fiemap -k 1 -R
ma
nosuch
nosuch 255 64k
r 010 -a -z -k
help -x 256 512 3m 1e
fiemap " -k