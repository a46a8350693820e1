falloc -q -w 512
help -Z 1e -Z
fzero -q -R 9223372036854775808 -w 3m
stat
o -k -s 3m \
w -a
t 1kk