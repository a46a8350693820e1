fzero -s -S -Z
truncate 9223372036854775807 -B 255 255
print " \ -F
truncate -n 3m
truncate -r
open -R -q -Z 9223372036854775807 '
o g