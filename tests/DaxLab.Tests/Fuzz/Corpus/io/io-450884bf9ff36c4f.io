mm " 1 4095 -i 255
mw 256 é -s 1kk -rw
fzero -W 1m --
ds
w -s 9223372036854775807 -d
?
nosuch -l -B x 3m 512
w -f