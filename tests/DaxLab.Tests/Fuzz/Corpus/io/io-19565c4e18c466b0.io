nosuch -r
nosuch -B -4096
p -Z '
p 256
help 1 -r -v