o -q
o 1 -S 1kk
close
fiemap -rw
ds -i -B g -z -z
close -s -s