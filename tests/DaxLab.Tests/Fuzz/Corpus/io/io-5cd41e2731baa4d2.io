close -v 255 2m 3m -s
mwrite -S -l -q -Z
r
help 0x
truncate 255 -x 9223372036854775808 1kk
falloc  -z -f ' -w
q 256 0xcd -l